// Smoke check that the pinned official client loads and reaches LocalStack's health endpoint.
import assert from 'node:assert/strict';
import { createClient } from '@supabase/supabase-js';

const url = process.env.API_URL;
const key = process.env.ANON_KEY;
assert.ok(url && key, 'API_URL and ANON_KEY are required');
const client = createClient(url, key, { auth: { persistSession: false, autoRefreshToken: false } });
assert.equal(typeof client.from, 'function');
const res = await fetch(new URL('/health', url));
assert.equal(res.status, 200);
console.log(JSON.stringify({ ok: true }));
