// Decode-and-apply throughput of the official @supabase/realtime-js on frames recorded from LocalStack.
// Usage: node decode.mjs <recording> [passes=5]
// The recording is the decode benchmark's cache file: a JSON header line, then one serializer 2.0.0 text
// frame per line. Frames go through the client's real path: the transport's onmessage -> the serializer's
// decode -> the channel's trigger (binding ids, record conversion) -> our postgres_changes callback, which
// applies the row to an in-memory Map (insert/update/delete by id). Prints one JSON line of results.
import { readFileSync } from 'node:fs';
import { RealtimeClient } from '@supabase/realtime-js';

const [recordingPath, passesArg] = process.argv.slice(2);
if (!recordingPath) {
  console.error('usage: node decode.mjs <recording> [passes]');
  process.exit(2);
}
const passes = Number(passesArg ?? 5);
const lines = readFileSync(recordingPath, 'utf8').split('\n').filter((line) => line.length > 0);
const header = JSON.parse(lines[0]);
const frames = lines.slice(1);
if (frames.length !== header.FrameCount) {
  throw new Error(`recording has ${frames.length} frames, header says ${header.FrameCount}`);
}

// A WebSocket stand-in: the client creates it on connect(); we open it, read what the client sends and
// hand it frames through the onmessage handler the client installed.
class ReplayTransport {
  static current = null;

  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols;
    this.readyState = 0;
    this.binaryType = 'arraybuffer';
    this.sent = [];
    ReplayTransport.current = this;
  }

  send(data) {
    this.sent.push(data);
  }

  close(code, reason) {
    this.readyState = 3;
    if (this.onclose) this.onclose({ code: code ?? 1000, reason: reason ?? '', wasClean: true });
  }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

const client = new RealtimeClient('ws://replay.invalid/realtime/v1', {
  transport: ReplayTransport,
  params: { apikey: 'replay' },
  heartbeatIntervalMs: 3_600_000,
  timeout: 60_000,
});

const store = new Map();
const filter = `user_id=eq.${header.UserId}`;
let applied = 0;
const channel = client
  .channel(header.Topic.replace(/^realtime:/, ''))
  .on('postgres_changes', { event: '*', schema: 'public', table: 'ai_chat_sessions', filter }, () => {
    applied++;
  })
  .on('postgres_changes', { event: '*', schema: 'public', table: 'ai_chat_messages', filter }, (change) => {
    switch (change.eventType) {
      case 'INSERT':
      case 'UPDATE':
        store.set(change.new.id, change.new);
        break;
      case 'DELETE':
        store.delete(change.old.id);
        break;
    }
    applied++;
  })
  // Deletes arrive as inserts of the user's deletion log (the chat tables keep the default replica identity).
  .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'ai_chat_deletions', filter }, (change) => {
    store.delete(change.new.row_id);
    applied++;
  });

let status = null;
channel.subscribe((s) => {
  status = s;
});
client.connect();
const transport = ReplayTransport.current;
if (!transport) throw new Error('the client did not create its transport');
transport.readyState = 1;
transport.onopen();

// Answer the join the way LocalStack did (same binding ids), so the channel accepts the recorded frames.
let join = null;
for (let i = 0; i < 1000 && !join; i++) {
  await nextTurn();
  join = transport.sent.map((text) => JSON.parse(text)).find((message) => message[3] === 'phx_join');
}
if (!join) throw new Error('the channel never sent phx_join');
const [joinRef, ref, topic] = join;
transport.onmessage({
  data: JSON.stringify([joinRef, ref, topic, 'phx_reply', { status: 'ok', response: { postgres_changes: JSON.parse(header.JoinReplyBindings) } }]),
});
for (let i = 0; i < 1000 && status !== 'SUBSCRIBED'; i++) await nextTurn();
if (status !== 'SUBSCRIBED') throw new Error(`channel status ${status}, expected SUBSCRIBED`);

const rates = [];
for (let pass = 0; pass <= passes; pass++) {
  store.clear();
  applied = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < frames.length; i++) {
    transport.onmessage({ data: frames[i] });
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (applied !== frames.length || store.size !== header.ExpectedMessages) {
    throw new Error(`pass ${pass}: ${applied} events applied, ${store.size} rows held; expected ${frames.length} and ${header.ExpectedMessages}`);
  }
  if (pass > 0) rates.push(frames.length / seconds); // pass 0 warms the JIT up
}

console.log(JSON.stringify({ node: process.version, realtimeJs: '2.109.0', events: frames.length, rows: store.size, rates }));
process.exit(0);
