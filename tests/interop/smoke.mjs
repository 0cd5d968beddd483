// Smoke check that the pinned official client loads and reaches LocalStack's health endpoint.
import assert from 'node:assert/strict';
import { newClient, url } from './client.mjs';

const client = newClient();
assert.equal(typeof client.from, 'function');
const res = await fetch(new URL('/health', url));
assert.equal(res.status, 200);
console.log(JSON.stringify({ ok: true }));
