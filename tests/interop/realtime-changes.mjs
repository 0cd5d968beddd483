// postgres_changes through the official client: one client per user (TOKENS: JSON [{name, token, session}]),
// each with a table-wide subscription on ai_chat_sessions and a filtered one on ai_chat_messages
// (session_id=eq.<own session>). When every channel is SUBSCRIBED the script writes READY_FILE; the
// test then writes rows and finally an "END" session and message per user. In commit order, the END
// events come last, so the script stops when each subscription has seen its END, and prints every
// payload the callbacks received as one JSON object. With PROGRESS_FILE it also keeps there, after every event,
// how many events each subscription has received, so the test can wait for an insert's event before it deletes the
// row (Supabase checks an insert's visibility against the row as it is when the change is polled: a row deleted
// before that is never delivered).
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { newClient } from './client.mjs';

const users = JSON.parse(process.env.TOKENS);
const readyFile = process.env.READY_FILE;
const progressFile = process.env.PROGRESS_FILE;
const received = {};
const clients = [];
const done = [];
let pending = 0;

function waitSubscribed(channel) {
  return new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') resolve();
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(new Error(`${channel.topic}: ${status} ${err?.message ?? ''}`));
    });
  });
}

for (const user of users) {
  const client = newClient();
  await client.realtime.setAuth(user.token);
  clients.push(client);
  for (const [kind, table, filter] of [
    ['sessions', 'ai_chat_sessions', undefined],
    ['messages', 'ai_chat_messages', `session_id=eq.${user.session}`],
  ]) {
    const key = `${user.name}.${kind}`;
    received[key] = [];
    pending++;
    let finish;
    done.push(new Promise((resolve) => (finish = resolve)));
    const channel = client.channel(`${key}-${Date.now()}`);
    // SUBSCRIBED comes with the join reply; changes flow from the later system message "Subscribed to PostgreSQL"
    // (seconds later on hosted Supabase, and with LocalStack's --subscribe-delay-ms): READY waits for it.
    let flowing;
    const live = new Promise((resolve) => (flowing = resolve));
    channel.on('system', {}, (payload) => {
      if (payload?.extension === 'postgres_changes' && payload?.status === 'ok') flowing();
    });
    channel.on('postgres_changes', { event: '*', schema: 'public', table, ...(filter ? { filter } : {}) }, (payload) => {
      received[key].push(payload);
      if (progressFile) {
        // Written whole, then renamed: the reader never sees half a file.
        const counts = Object.fromEntries(Object.entries(received).map(([k, v]) => [k, v.length]));
        writeFileSync(`${progressFile}.tmp`, JSON.stringify(counts));
        renameSync(`${progressFile}.tmp`, progressFile);
      }
      const row = payload.new ?? {};
      if (payload.eventType === 'INSERT' && (row.title === 'END' || row.content === 'END')) finish();
    });
    await waitSubscribed(channel);
    await live;
  }
}

writeFileSync(readyFile, 'ready');
const timeout = setTimeout(() => {
  console.log(JSON.stringify({ ok: false, timeout: true, received }));
  process.exit(3);
}, 30000);
await Promise.all(done);
clearTimeout(timeout);
assert.equal(done.length, pending);
for (const client of clients) await client.removeAllChannels();
console.log(JSON.stringify({ ok: true, received }));
process.exit(0);
