// Broadcast and presence between two official clients, and an expired token refused at join.
// Env: API_URL, ANON_KEY, TOKEN_A, TOKEN_B (valid user tokens), EXPIRED_TOKEN.
import assert from 'node:assert/strict';
import { newClient, until } from './client.mjs';

const room = `room-${Date.now()}`;
const a = newClient();
const b = newClient();
await a.realtime.setAuth(process.env.TOKEN_A);
await b.realtime.setAuth(process.env.TOKEN_B);

function subscribe(channel) {
  return new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') resolve();
      else if (status !== 'CLOSED') reject(new Error(`${status} ${err?.message ?? ''}`));
    });
  });
}

// --- broadcast: ack to the sender, delivery to the other client, none to the sender (self: false)
const gotA = [];
const gotB = [];
const chA = a.channel(room, { config: { broadcast: { ack: true, self: false }, presence: { key: 'alice' } } });
const chB = b.channel(room, { config: { broadcast: { self: true }, presence: { key: 'bob' } } });
chA.on('broadcast', { event: 'msg' }, (m) => gotA.push(m));
chB.on('broadcast', { event: 'msg' }, (m) => gotB.push(m));
const joinsB = [];
const leavesB = [];
chB.on('presence', { event: 'join' }, (e) => joinsB.push(e));
chB.on('presence', { event: 'leave' }, (e) => leavesB.push(e));
chA.on('presence', { event: 'sync' }, () => {});
await subscribe(chA);
await subscribe(chB);

const ack = await chA.send({ type: 'broadcast', event: 'msg', payload: { text: 'hello', n: 1 } });
assert.equal(ack, 'ok');
await until(() => gotB.length === 1, 'broadcast at B');
assert.deepEqual(gotB[0], { type: 'broadcast', event: 'msg', payload: { text: 'hello', n: 1 } });
assert.equal(await chB.send({ type: 'broadcast', event: 'msg', payload: { text: 'back' } }), 'ok');
await until(() => gotA.length === 1 && gotB.length === 2, 'self broadcast at B and delivery at A');
assert.deepEqual(gotA[0].payload, { text: 'back' });
assert.deepEqual(gotB[1].payload, { text: 'back' });

// --- presence: both track, both see both keys; A untracks, B sees the leave
assert.equal(await chA.track({ status: 'online', who: 'alice' }), 'ok');
assert.equal(await chB.track({ status: 'online', who: 'bob' }), 'ok');
await until(() => Object.keys(chA.presenceState()).length === 2 && Object.keys(chB.presenceState()).length === 2, 'presence sync');
const stateB = chB.presenceState();
assert.equal(stateB.alice.length, 1);
assert.equal(stateB.alice[0].who, 'alice');
assert.equal(typeof stateB.alice[0].presence_ref, 'string');
assert.ok(joinsB.some((e) => e.key === 'alice'));
assert.equal(await chA.untrack(), 'ok');
await until(() => !('alice' in chB.presenceState()), 'presence leave at B');
assert.ok(leavesB.some((e) => e.key === 'alice'));

// --- an expired token is refused at join
const c = newClient();
await c.realtime.setAuth(process.env.EXPIRED_TOKEN);
const refused = await new Promise((resolve) => {
  c.channel(`expired-${Date.now()}`).subscribe((status, err) => {
    if (status !== 'SUBSCRIBED' && status !== 'CLOSED') resolve({ status, message: err?.message ?? '' });
    if (status === 'SUBSCRIBED') resolve({ status, message: '' });
  });
});
assert.equal(refused.status, 'CHANNEL_ERROR');
assert.match(refused.message, /Token has expired/);

await a.removeAllChannels();
await b.removeAllChannels();
await c.removeAllChannels();
console.log(JSON.stringify({ ok: true, presence: Object.keys(stateB).sort(), refused }));
process.exit(0);
