// The official client against a LocalStack started with --subscribe-delay-ms (as hosted Supabase): SUBSCRIBED comes
// with the join reply, and changes flow from the later `system` message "Subscribed to PostgreSQL". One client
// (TOKEN) watches the INSERTs of its session (SESSION); once that message came it writes READY_FILE, then stops at the
// row whose content is END and prints {ok, order, systems, received}.
import { writeFileSync } from 'node:fs';
import { newClient } from './client.mjs';

const client = newClient();
await client.realtime.setAuth(process.env.TOKEN);
const order = [];
const systems = [];
const received = [];
let finish;
const done = new Promise((resolve) => (finish = resolve));
let confirm;
const confirmed = new Promise((resolve) => (confirm = resolve));
const channel = client
  .channel(`delayed-${Date.now()}`)
  .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'ai_chat_messages', filter: `session_id=eq.${process.env.SESSION}` }, (payload) => {
    received.push(payload.new.content);
    if (payload.new.content === 'END') finish();
  })
  .on('system', {}, (payload) => {
    systems.push(payload);
    order.push('system');
    if (payload.extension === 'postgres_changes' && payload.status === 'ok') confirm();
  });
await new Promise((resolve, reject) => {
  channel.subscribe((status, err) => {
    order.push(status);
    if (status === 'SUBSCRIBED') resolve();
    else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(new Error(`${status} ${err?.message ?? ''}`));
  });
});
const timeout = setTimeout(() => {
  console.log(JSON.stringify({ ok: false, timeout: true, order, systems, received }));
  process.exit(3);
}, 30000);
await confirmed;
writeFileSync(process.env.READY_FILE, 'ready');
await done;
clearTimeout(timeout);
await client.removeAllChannels();
console.log(JSON.stringify({ ok: true, order, systems, received }));
process.exit(0);
