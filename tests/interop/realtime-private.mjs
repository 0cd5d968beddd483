// Realtime Authorization (private channels) with the official client: two clients of user A join the
// private stream topic `ai-chat-stream:<A>` (database/ai_chat_stream_authorization.sql) and relay a
// broadcast; user B gets CHANNEL_ERROR with the server's reason for A's topic and joins their own.
// Env: API_URL, ANON_KEY, TOKEN_A, USER_A, TOKEN_B, USER_B.
import assert from 'node:assert/strict';
import { newClient, until } from './client.mjs';

const topicA = `ai-chat-stream:${process.env.USER_A}`;
const topicB = `ai-chat-stream:${process.env.USER_B}`;
const a1 = newClient();
const a2 = newClient();
const b = newClient();
await a1.realtime.setAuth(process.env.TOKEN_A);
await a2.realtime.setAuth(process.env.TOKEN_A);
await b.realtime.setAuth(process.env.TOKEN_B);

// Resolves with the first status other than CLOSED, and its error message.
function firstStatus(channel) {
  return new Promise((resolve) => {
    channel.subscribe((status, err) => {
      if (status !== 'CLOSED') resolve({ status, message: err?.message ?? '' });
    });
  });
}

// --- A's two clients relay on A's private topic
const got = [];
const receiver = a1.channel(topicA, { config: { private: true } });
receiver.on('broadcast', { event: 'token' }, (m) => got.push(m));
const sender = a2.channel(topicA, { config: { private: true, broadcast: { ack: true } } });
assert.deepEqual(await firstStatus(receiver), { status: 'SUBSCRIBED', message: '' });
assert.deepEqual(await firstStatus(sender), { status: 'SUBSCRIBED', message: '' });
assert.equal(await sender.send({ type: 'broadcast', event: 'token', payload: { text: 'Hel' } }), 'ok');
assert.equal(await sender.send({ type: 'broadcast', event: 'token', payload: { text: 'lo' } }), 'ok');
await until(() => got.length === 2, 'both broadcasts at the receiver');
assert.deepEqual(got.map((m) => m.payload.text), ['Hel', 'lo']);
assert.deepEqual(got[0], { type: 'broadcast', event: 'token', payload: { text: 'Hel' } });

// --- B is refused A's topic
const intruder = b.channel(topicA, { config: { private: true } });
const refused = await firstStatus(intruder);
assert.equal(refused.status, 'CHANNEL_ERROR');
assert.equal(refused.message, `Unauthorized: You do not have permissions to read from this Channel topic: ${topicA}`);
await b.removeChannel(intruder);

// --- B's own topic is B's
const own = b.channel(topicB, { config: { private: true } });
assert.deepEqual(await firstStatus(own), { status: 'SUBSCRIBED', message: '' });

await a1.removeAllChannels();
await a2.removeAllChannels();
await b.removeAllChannels();
console.log(JSON.stringify({ ok: true, relayed: got.length, refused }));
process.exit(0);
