// Auth interop: the official supabase-js auth client against LocalStack's /auth/v1.
import assert from 'node:assert/strict';
import { newClient, url, anonKey, serviceRoleKey } from './client.mjs';

const stamp = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
const emailA = `auth-a-${stamp}@example.test`;
const emailB = `auth-b-${stamp}@example.test`;
const password = 'correct-horse-1';
const decode = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
const results = {};

// Sign up returns a session at once (no e-mail confirmation locally).
const a = newClient();
let { data, error } = await a.auth.signUp({ email: emailA, password, options: { data: { name: 'Alice' } } });
assert.equal(error, null);
assert.equal(data.user.email, emailA);
assert.equal(data.user.aud, 'authenticated');
assert.equal(data.user.role, 'authenticated');
assert.deepEqual(data.user.user_metadata, { name: 'Alice' });
assert.equal(data.session.token_type, 'bearer');
assert.equal(data.session.expires_in, 3600);
assert.ok(data.session.refresh_token.length >= 12);
const userA = data.user.id;
let claims = decode(data.session.access_token);
assert.equal(claims.sub, userA);
assert.equal(claims.role, 'authenticated');
assert.equal(claims.aud, 'authenticated');
assert.equal(claims.email, emailA);
assert.equal(claims.exp - claims.iat, 3600);
assert.match(claims.session_id, /^[0-9a-f-]{36}$/);
assert.deepEqual(claims.user_metadata, { name: 'Alice' });
results.signUp = true;

// A second user.
({ data, error } = await newClient().auth.signUp({ email: emailB, password }));
assert.equal(error, null);
assert.notEqual(data.user.id, userA);

// Duplicate e-mail, weak password, invalid e-mail, wrong password: GoTrue's codes and statuses.
({ error } = await newClient().auth.signUp({ email: emailA, password }));
assert.equal(error.status, 422);
assert.equal(error.code, 'user_already_exists');
assert.equal(error.message, 'User already registered');
({ error } = await newClient().auth.signUp({ email: `weak-${stamp}@example.test`, password: '12345' }));
assert.equal(error.name, 'AuthWeakPasswordError');
assert.equal(error.status, 422);
assert.equal(error.code, 'weak_password');
assert.deepEqual(error.reasons, ['length']);
({ error } = await newClient().auth.signUp({ email: 'not-an-email', password }));
assert.equal(error.status, 400);
assert.equal(error.code, 'validation_failed');
({ error } = await newClient().auth.signInWithPassword({ email: emailA, password: 'wrong-password' }));
assert.equal(error.status, 400);
assert.equal(error.code, 'invalid_credentials');
assert.equal(error.message, 'Invalid login credentials');
({ error } = await newClient().auth.signInWithPassword({ email: `nobody-${stamp}@example.test`, password }));
assert.equal(error.code, 'invalid_credentials');
results.errors = true;

// Sign in, read the user, refresh (rotation), and the old refresh token is refused.
const b = newClient();
({ data, error } = await b.auth.signInWithPassword({ email: emailA, password }));
assert.equal(error, null);
assert.equal(data.user.id, userA);
const first = data.session;
assert.notEqual(decode(first.access_token).session_id, claims.session_id); // a new session per sign-in
({ data, error } = await b.auth.getUser());
assert.equal(error, null);
assert.equal(data.user.id, userA);
assert.equal(data.user.email, emailA);
({ data, error } = await b.auth.updateUser({ data: { theme: 'dark' } }));
assert.equal(error, null);
assert.deepEqual(data.user.user_metadata, { name: 'Alice', theme: 'dark' });
({ data, error } = await b.auth.refreshSession());
assert.equal(error, null);
const second = data.session;
assert.deepEqual(decode(second.access_token).user_metadata, { name: 'Alice', theme: 'dark' });
assert.notEqual(second.refresh_token, first.refresh_token);
assert.equal(second.user.id, userA);
assert.equal(decode(second.access_token).session_id, decode(first.access_token).session_id);
({ data, error } = await b.auth.getUser());
assert.equal(error, null);
assert.equal(data.user.id, userA);
results.refresh = true;

// Reusing the rotated token within GoTrue's reuse interval (10 s on Supabase) returns the session's active token,
// as when a client lost the reply (supabase/auth internal/tokens/service.go); later reuse is refused
// (refresh_token_already_used, checked in AuthLimitsTests by ageing the token in the database).
({ data, error } = await newClient().auth.refreshSession({ refresh_token: first.refresh_token }));
assert.equal(error, null);
assert.equal(data.session.refresh_token, second.refresh_token);
({ error } = await newClient().auth.refreshSession({ refresh_token: 'no-such-token' }));
assert.equal(error.status, 400);
assert.equal(error.code, 'refresh_token_not_found');
results.reuse = true;

// Sign-out scopes: 'local' ends only this device's session; the default is 'global' and ends every device's.
const phone = newClient();
const laptop = newClient();
assert.equal((await phone.auth.signInWithPassword({ email: emailA, password })).error, null);
assert.equal((await laptop.auth.signInWithPassword({ email: emailA, password })).error, null);
({ error } = await phone.auth.signOut({ scope: 'local' }));
assert.equal(error, null);
({ error } = await laptop.auth.refreshSession());
assert.equal(error, null);
const tablet = newClient();
assert.equal((await tablet.auth.signInWithPassword({ email: emailA, password })).error, null);
({ error } = await tablet.auth.signOut());
assert.equal(error, null);
({ error } = await laptop.auth.refreshSession());
assert.equal(error.status, 400);
results.scope = true;

// Sign out ends the session: its access token no longer reads the user, its refresh token is gone.
const c = newClient();
({ data, error } = await c.auth.signInWithPassword({ email: emailA, password }));
assert.equal(error, null);
const ended = data.session;
({ error } = await c.auth.signOut());
assert.equal(error, null);
({ data } = await c.auth.getSession());
assert.equal(data.session, null);
let res = await fetch(`${url}/auth/v1/user`, { headers: { apikey: anonKey, Authorization: `Bearer ${ended.access_token}`, 'X-Supabase-Api-Version': '2024-01-01' } });
assert.equal(res.status, 403);
assert.deepEqual(await res.json(), { code: 'session_not_found', message: 'Session from session_id claim in JWT does not exist' });
({ error } = await newClient().auth.refreshSession({ refresh_token: ended.refresh_token }));
assert.equal(error.code, 'refresh_token_not_found');
results.signOut = true;

// Forged and missing tokens, missing and wrong API keys.
const forged = ended.access_token.slice(0, -4) + (ended.access_token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
res = await fetch(`${url}/auth/v1/user`, { headers: { apikey: anonKey, Authorization: `Bearer ${forged}` } });
assert.equal(res.status, 403);
assert.equal((await res.json()).error_code, 'bad_jwt');
res = await fetch(`${url}/auth/v1/user`, { headers: { apikey: anonKey } });
assert.equal(res.status, 401);
assert.equal((await res.json()).error_code, 'no_authorization');
res = await fetch(`${url}/auth/v1/user`);
assert.equal(res.status, 401);
assert.equal((await res.json()).message, 'No API key found in request');
res = await fetch(`${url}/auth/v1/token?grant_type=password`, { method: 'POST', headers: { apikey: forged }, body: '{}' });
assert.equal(res.status, 401);
assert.equal((await res.json()).message, 'Invalid API key');
results.tokens = true;

// Admin API with the service-role key; refused with the anon key.
const admin = newClient(serviceRoleKey).auth.admin;
({ data, error } = await admin.listUsers({ page: 1, perPage: 1000 }));
assert.equal(error, null);
const emails = data.users.map((u) => u.email);
assert.ok(emails.includes(emailA) && emails.includes(emailB));
const emailC = `auth-c-${stamp}@example.test`;
({ data, error } = await admin.createUser({ email: emailC, password, email_confirm: true, user_metadata: { via: 'admin' } }));
assert.equal(error, null);
assert.equal(data.user.email, emailC);
assert.ok(data.user.email_confirmed_at);
assert.deepEqual(data.user.user_metadata, { via: 'admin' });
({ data, error } = await newClient().auth.signInWithPassword({ email: emailC, password }));
assert.equal(error, null);
({ error } = await admin.createUser({ email: emailC, password }));
assert.equal(error.status, 422);
assert.equal(error.code, 'email_exists');
({ error } = await newClient().auth.admin.listUsers());
assert.equal(error.status, 403);
assert.equal(error.code, 'not_admin');
results.admin = true;

console.log(JSON.stringify({ ok: true, ...results }));
