// A project with "private channels only" (LocalStack `start --private-only`) and a record limit
// (`--max-record-bytes`), through the official client, as on hosted Supabase:
// - a public channel is refused: CHANNEL_ERROR with "PrivateOnly: This project only allows private channels";
// - the user's private feed topic `ai-chat:<uid hex>:<client>` (database/ai_chat_stream_authorization.sql) joins, and
//   its postgres_changes (the rows still guarded by RLS) flow; a change over the record limit arrives with its short
//   values only and errors ["Error 413: Payload Too Large"].
// The script writes READY_FILE once the feed is flowing; the test then inserts a large message and an "END" one.
// Env: API_URL, ANON_KEY, TOKEN, USER, READY_FILE.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { newClient, until } from './client.mjs';

const client = newClient();
await client.realtime.setAuth(process.env.TOKEN);

// Resolves with the first status other than CLOSED, and its error message.
function firstStatus(channel) {
  return new Promise((resolve) => {
    channel.subscribe((status, err) => {
      if (status !== 'CLOSED') resolve({ status, message: err?.message ?? '' });
    });
  });
}

// --- a public channel is refused
const open = client.channel(`public-${Date.now()}`);
const refused = await firstStatus(open);
assert.deepEqual(refused, { status: 'CHANNEL_ERROR', message: 'PrivateOnly: This project only allows private channels' });
await client.removeChannel(open);

// --- the private feed topic joins and its changes flow
const user = process.env.USER.replaceAll('-', '');
const received = [];
let flowing = false;
const feed = client.channel(`ai-chat:${user}:interop`, { config: { private: true } });
feed.on('system', {}, (payload) => {
  if (payload?.extension === 'postgres_changes' && payload?.status === 'ok') flowing = true;
});
feed.on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'ai_chat_messages', filter: `user_id=eq.${process.env.USER}` },
  (payload) => received.push(payload));
assert.deepEqual(await firstStatus(feed), { status: 'SUBSCRIBED', message: '' });
await until(() => flowing, '"Subscribed to PostgreSQL"', 30000);
writeFileSync(process.env.READY_FILE, 'ready');
await until(() => received.some((p) => p.new?.content === 'END'), 'the END message', 30000);

const large = received[0];
assert.deepEqual(large.errors, ['Error 413: Payload Too Large']);
assert.equal(large.new.content, undefined);
assert.equal(typeof large.new.id, 'string');
assert.equal(received.length, 2);
assert.equal(received[1].errors, null);
await client.removeAllChannels();
console.log(JSON.stringify({ ok: true, refused, large: { errors: large.errors, keys: Object.keys(large.new).sort() } }));
process.exit(0);
