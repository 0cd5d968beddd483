// REST interop: the official supabase-js (postgrest-js) as two users against LocalStack's /rest/v1.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { newClient, serviceRoleKey } from './client.mjs';

const stamp = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
const password = 'correct-horse-1';
const results = {};
const ok = (r, status) => {
  assert.equal(r.error, null, JSON.stringify(r.error));
  if (status) assert.equal(r.status, status);
  return r.data;
};

async function signedUp(name) {
  const client = newClient();
  const { data, error } = await client.auth.signUp({ email: `rest-${name}-${stamp}@example.test`, password });
  assert.equal(error, null);
  return { client, id: data.user.id };
}
const { client: A, id: userA } = await signedUp('a');
const { client: B, id: userB } = await signedUp('b');

// ---- as A: insert single and bulk, with representation
let r = await A.from('ai_chat_sessions').insert({ title: 'A first' }).select().single();
const s1row = ok(r, 201);
assert.equal(s1row.title, 'A first');
assert.equal(s1row.user_id, userA); // default auth.uid()
assert.equal(s1row.is_active, false);
const s1 = s1row.id;
r = await A.from('ai_chat_sessions').insert([{ title: 'A second' }, { title: 'A third' }]).select('id,title');
const bulk = ok(r, 201);
assert.deepEqual(bulk.map((x) => x.title), ['A second', 'A third']);
assert.deepEqual(Object.keys(bulk[0]), ['id', 'title']);
const [s2, s3] = bulk.map((x) => x.id);
r = await A.from('ai_chat_sessions').insert({ title: 'A minimal' });
assert.equal(r.error, null);
assert.equal(r.status, 201);
assert.equal(r.data, null);

const m1 = randomUUID();
const m2 = randomUUID();
r = await A.from('ai_chat_messages').insert([
  { id: m1, session_id: s1, content: 'hello', is_user: true },
  { id: m2, session_id: s1, content: 'hi there', is_user: false, status: 'streaming', metadata: { model: 'x' } },
], { defaultToNull: false }).select(); // rows of different shapes: missing keys take their defaults
const msgs = ok(r, 201);
assert.deepEqual(msgs.map((m) => [m.id, m.user_id, m.content, m.status]), [[m1, userA, 'hello', 'complete'], [m2, userA, 'hi there', 'streaming']]);
assert.deepEqual(msgs[1].metadata, { model: 'x' });
results.insert = true;

// ---- JSON paths in select, filter and order
r = await A.from('ai_chat_messages').select('id, m:metadata->>model, metadata->model').eq('metadata->>model', 'x');
assert.deepEqual(ok(r), [{ id: m2, m: 'x', model: 'x' }]);
r = await A.from('ai_chat_messages').select('content').order('metadata->>model', { ascending: true, nullsFirst: true });
assert.deepEqual(ok(r).map((m) => m.content), ['hello', 'hi there']);
results.jsonPath = true;

// ---- embedding (one-to-many and many-to-one), ordering inside the embed
r = await A.from('ai_chat_sessions').select('id, title, ai_chat_messages(id, content)').eq('id', s1)
  .order('created_at', { referencedTable: 'ai_chat_messages', ascending: false }).single();
assert.deepEqual(ok(r, 200), { id: s1, title: 'A first', ai_chat_messages: [{ id: m2, content: 'hi there' }, { id: m1, content: 'hello' }] });
r = await A.from('ai_chat_sessions').select('*, ai_chat_messages(*)').order('title');
const all = ok(r, 200);
assert.deepEqual(all.map((s) => [s.title, s.ai_chat_messages.length]), [['A first', 2], ['A minimal', 0], ['A second', 0], ['A third', 0]]);
r = await A.from('ai_chat_messages').select('content, session:ai_chat_sessions(title)').eq('id', m2).single();
assert.deepEqual(ok(r), { content: 'hi there', session: { title: 'A first' } });
r = await A.from('ai_chat_sessions').select('title, ai_chat_messages(count)').order('title').limit(2);
assert.deepEqual(ok(r), [{ title: 'A first', ai_chat_messages: [{ count: 2 }] }, { title: 'A minimal', ai_chat_messages: [{ count: 0 }] }]);
r = await A.from('ai_chat_sessions').select('title, ai_chat_messages!inner(id)').order('title');
assert.deepEqual(ok(r).map((s) => s.title), ['A first']);
results.embedding = true;

// ---- counts, ranges, head
r = await A.from('ai_chat_sessions').select('title', { count: 'exact' }).order('title').range(1, 2);
assert.equal(r.status, 206);
assert.equal(r.count, 4);
assert.deepEqual(ok(r).map((s) => s.title), ['A minimal', 'A second']);
r = await A.from('ai_chat_sessions').select('*', { count: 'exact', head: true });
assert.equal(r.error, null);
assert.equal(r.count, 4);
assert.equal(r.data, null);
r = await A.from('ai_chat_sessions').select('title').order('title', { ascending: false }).limit(1);
assert.deepEqual(ok(r), [{ title: 'A third' }]);
results.count = true;

// ---- filters
r = await A.from('ai_chat_sessions').select('title').in('title', ['A first', 'A third', 'x,(y)']).order('title');
assert.deepEqual(ok(r), [{ title: 'A first' }, { title: 'A third' }]);
r = await A.from('ai_chat_sessions').select('title').or('title.eq.A second,title.ilike.*THIRD*').order('title', { ascending: false });
assert.deepEqual(ok(r), [{ title: 'A third' }, { title: 'A second' }]);
r = await A.from('ai_chat_sessions').select('title').or('and(title.like.A*,title.neq.A first),title.eq.nothing').not('title', 'in', '("A minimal")').order('title');
assert.deepEqual(ok(r), [{ title: 'A second' }, { title: 'A third' }]);
r = await A.from('ai_chat_messages').select('id').eq('session_id', s1).neq('status', 'complete');
assert.deepEqual(ok(r), [{ id: m2 }]);
r = await A.from('ai_chat_messages').select('id').is('is_user', true).gte('created_at', s1row.created_at);
assert.deepEqual(ok(r), [{ id: m1 }]);
r = await A.from('ai_chat_sessions').select('id').eq('title', "A first' or '1'='1");
assert.deepEqual(ok(r), []);
results.filters = true;

// ---- single / maybeSingle
r = await A.from('ai_chat_sessions').select().eq('title', 'nope').maybeSingle();
assert.equal(r.error, null);
assert.equal(r.data, null);
r = await A.from('ai_chat_sessions').select('id').eq('id', s2).maybeSingle();
assert.deepEqual(ok(r), { id: s2 });
r = await A.from('ai_chat_sessions').select().single();
assert.equal(r.status, 406);
assert.equal(r.error.code, 'PGRST116');
results.single = true;

// ---- update, upsert, rpc
r = await A.from('ai_chat_sessions').update({ title: 'A renamed' }).eq('id', s1).select('id,title').single();
assert.deepEqual(ok(r, 200), { id: s1, title: 'A renamed' });
r = await A.from('ai_chat_messages')
  .upsert({ id: m2, session_id: s1, content: 'hi there, complete', is_user: false, status: 'complete' })
  .select('id,content,status').single();
assert.deepEqual(ok(r, 201), { id: m2, content: 'hi there, complete', status: 'complete' });
r = await A.from('ai_chat_messages').upsert({ id: m2, session_id: s1, content: 'ignored', is_user: false }, { ignoreDuplicates: true }).select();
assert.deepEqual(ok(r), []);
const m3 = randomUUID();
r = await A.from('ai_chat_messages').upsert([{ id: m1, session_id: s1, content: 'hello!', is_user: true }, { id: m3, session_id: s1, content: 'third', is_user: true }], { onConflict: 'id' }).select('id,content');
assert.deepEqual(ok(r), [{ id: m1, content: 'hello!' }, { id: m3, content: 'third' }]);
r = await A.rpc('ai_chat_set_active_session', { p_session_id: s1 });
const active = ok(r, 200);
assert.equal(active.length, 1);
assert.equal(active[0].id, s1);
assert.equal(active[0].is_active, true);
r = await A.rpc('ai_chat_set_active_session', { p_session_id: s2 }).select('id,is_active');
assert.deepEqual(ok(r), [{ id: s2, is_active: true }]);
r = await A.from('ai_chat_sessions').select('id').eq('is_active', true);
assert.deepEqual(ok(r), [{ id: s2 }]);
r = await A.rpc('no_such_function', { x: 1 });
assert.equal(r.status, 404);
assert.equal(r.error.code, 'PGRST202');
results.mutations = true;

// ---- user B sees none of A's rows and cannot change them
r = await B.from('ai_chat_sessions').select('*', { count: 'exact' });
assert.deepEqual(ok(r), []);
assert.equal(r.count, 0);
r = await B.from('ai_chat_messages').select().eq('session_id', s1);
assert.deepEqual(ok(r), []);
r = await B.from('ai_chat_sessions').update({ title: 'hacked' }).eq('id', s1).select();
assert.deepEqual(ok(r), []);
r = await B.from('ai_chat_messages').delete().eq('id', m1).select();
assert.deepEqual(ok(r), []);
r = await B.from('ai_chat_messages').insert({ session_id: s1, content: 'intrusion', is_user: true });
assert.equal(r.status, 403);
assert.equal(r.error.code, '42501');
r = await B.from('ai_chat_sessions').insert({ title: 'for A', user_id: userA });
assert.equal(r.status, 403);
assert.equal(r.error.code, '42501');
r = await B.from('ai_chat_messages').upsert({ id: m1, session_id: s1, content: 'overwrite', is_user: true });
assert.equal(r.error.code, '42501');
r = await B.rpc('ai_chat_set_active_session', { p_session_id: s1 });
assert.equal(r.error.code, 'P0002');
r = await B.from('ai_chat_sessions').insert({ title: 'B own' }).select('title,user_id').single();
assert.deepEqual(ok(r, 201), { title: 'B own', user_id: userB });
// A's rows are intact.
r = await A.from('ai_chat_sessions').select('title, ai_chat_messages(content)').eq('id', s1).order('created_at', { referencedTable: 'ai_chat_messages' }).single();
assert.deepEqual(ok(r), { title: 'A renamed', ai_chat_messages: [{ content: 'hello!' }, { content: 'hi there, complete' }, { content: 'third' }] });
r = await A.from('ai_chat_sessions').select('title');
assert.equal(ok(r).length, 4);
results.isolation = true;

// ---- anon and errors
const anon = newClient();
r = await anon.from('ai_chat_sessions').select();
assert.deepEqual(ok(r), []);
r = await anon.from('ai_chat_sessions').insert({ title: 'anon' });
assert.equal(r.status, 401);
assert.equal(r.error.code, '42501');
r = await A.from('no_such_table').select();
assert.equal(r.status, 404);
assert.equal(r.error.code, 'PGRST205');
r = await A.from('ai_chat_sessions').select('nope');
assert.equal(r.status, 400);
assert.equal(r.error.code, '42703');
r = await A.from('ai_chat_sessions').select().filter('title', 'bogus', 'x');
assert.equal(r.status, 400);
assert.equal(r.error.code, 'PGRST100');
r = await A.from('ai_chat_sessions').insert({ title: 'x', nope: 1 });
assert.equal(r.status, 400);
assert.equal(r.error.code, 'PGRST204');
r = await A.from('ai_chat_sessions').insert({ title: '' });
assert.equal(r.status, 400);
assert.equal(r.error.code, '23514');
r = await A.from('ai_chat_sessions').insert({ title: 'second active', is_active: true });
assert.equal(r.status, 409);
assert.equal(r.error.code, '23505');
r = await A.from('ai_chat_messages').insert({ session_id: s1, content: 'x', is_user: true, status: 'bogus' });
assert.equal(r.error.code, '23514');
r = await A.from('ai_chat_sessions').select().eq('id', 'not-a-uuid');
assert.equal(r.status, 400);
assert.equal(r.error.code, '22P02');
const service = newClient(serviceRoleKey);
r = await service.from('ai_chat_messages').insert({ session_id: randomUUID(), user_id: userA, content: 'orphan', is_user: true });
assert.equal(r.status, 409);
assert.equal(r.error.code, '23503');
r = await service.from('ai_chat_sessions').select('id', { count: 'exact', head: true }).in('user_id', [userA, userB]);
assert.equal(r.count, 5); // the service role bypasses RLS
results.errors = true;

// ---- delete (cascade to messages)
r = await A.from('ai_chat_sessions').delete().eq('id', s1).select('id');
assert.deepEqual(ok(r, 200), [{ id: s1 }]);
r = await A.from('ai_chat_messages').select('id', { count: 'exact', head: true });
assert.equal(r.count, 0);
r = await A.from('ai_chat_sessions').delete().in('id', [s2, s3]);
assert.equal(r.error, null);
assert.equal(r.status, 204);
r = await A.from('ai_chat_sessions').select('title');
assert.deepEqual(ok(r), [{ title: 'A minimal' }]);
results.delete = true;

console.log(JSON.stringify({ ok: true, ...results }));
