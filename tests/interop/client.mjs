// Shared by the interop scripts: the official client as an app on Node.js 20 creates it
// (the `ws` package as the realtime transport, sessions kept in memory).
import { createClient } from '@supabase/supabase-js';
import ws from 'ws';

export const url = process.env.API_URL;
export const anonKey = process.env.ANON_KEY;
export const serviceRoleKey = process.env.SERVICE_ROLE_KEY;
if (!url || !anonKey) {
  throw new Error('API_URL and ANON_KEY are required');
}

export function newClient(key = anonKey) {
  return createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: ws },
  });
}

/** Resolves once `predicate()` holds, polling every 10 ms; rejects after `ms`. */
export function until(predicate, what, ms = 10000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}
