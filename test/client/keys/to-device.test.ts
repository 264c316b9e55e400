import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restartableServer, startTestServer } from '../../helpers/server.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { registerUser, TEST_USER_CONFIG } from '../../helpers/users.js';
import { C, call } from './http.js';

type ToDeviceEvent = { type: string; sender: string; content: Record<string, unknown> };
const toDeviceEvents = (body: Record<string, unknown>) => ((body.to_device as { events?: ToDeviceEvent[] } | undefined)?.events ?? []);

test('a to-device message sent while the recipient is offline arrives on its next sync, once, also across a restart', async () => {
  const hs = await restartableServer({ ...TEST_USER_CONFIG, rateLimits: {} });
  let s = await hs.boot();
  try {
    const alice = await registerUser(s.baseUrl, s.config, 'alice');
    const bob = await registerUser(s.baseUrl, s.config, 'bob');
    const first = await call(s.baseUrl, 'GET', `${C}/v3/sync?timeout=0`, { token: bob.accessToken });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assertMatchesSpec('client-server', 'GET', `${C}/v3/sync`, 200, first.body);
    const since = String(first.body.next_batch);

    const send = () =>
      call(s.baseUrl, 'PUT', `${C}/v3/sendToDevice/m.room_key_request/txn1`, {
        token: alice.accessToken,
        body: { messages: { [bob.userId]: { [bob.deviceId]: { action: 'request', n: 1 } } } },
      });
    const sent = await send();
    assert.equal(sent.status, 200);
    assertMatchesSpec('client-server', 'PUT', `${C}/v3/sendToDevice/m.room_key_request/txn1`, 200, sent.body);
    assert.equal((await send()).status, 200, 'a retried transaction succeeds');

    // Bob is offline; the server restarts.
    await s.close();
    s = await hs.boot();

    const got = await call(s.baseUrl, 'GET', `${C}/v3/sync?timeout=0&since=${encodeURIComponent(since)}`, { token: bob.accessToken });
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assertMatchesSpec('client-server', 'GET', `${C}/v3/sync`, 200, got.body);
    assert.deepEqual(toDeviceEvents(got.body), [{ type: 'm.room_key_request', sender: alice.userId, content: { action: 'request', n: 1 } }]);
    assert.ok(got.body.device_one_time_keys_count, 'one-time key counts ride along');
    assert.deepEqual(got.body.device_unused_fallback_key_types, []);

    // The response was lost: syncing again from the same token delivers the message again.
    const again = await call(s.baseUrl, 'GET', `${C}/v3/sync?timeout=0&since=${encodeURIComponent(since)}`, { token: bob.accessToken });
    assert.equal(toDeviceEvents(again.body).length, 1);

    // Acknowledged by the next token: never delivered again, also after another restart.
    const next = String(again.body.next_batch);
    const after1 = await call(s.baseUrl, 'GET', `${C}/v3/sync?timeout=0&since=${encodeURIComponent(next)}`, { token: bob.accessToken });
    assert.deepEqual(toDeviceEvents(after1.body), []);
    await s.close();
    s = await hs.boot();
    const fresh = await call(s.baseUrl, 'GET', `${C}/v3/sync?timeout=0`, { token: bob.accessToken });
    assert.deepEqual(toDeviceEvents(fresh.body), []);
  } finally {
    await s.close();
    await hs.dispose();
  }
});

test('a to-device message wakes a waiting long-poll', async () => {
  const s = await startTestServer({ ...TEST_USER_CONFIG, rateLimits: {} });
  try {
    const alice = await registerUser(s.baseUrl, s.config, 'alice');
    const bob = await registerUser(s.baseUrl, s.config, 'bob');
    const first = await call(s.baseUrl, 'GET', `${C}/v3/sync?timeout=0`, { token: bob.accessToken });
    const since = String(first.body.next_batch);
    const started = Date.now();
    const poll = call(s.baseUrl, 'GET', `${C}/v3/sync?timeout=20000&since=${encodeURIComponent(since)}`, { token: bob.accessToken });
    await new Promise((r) => setTimeout(r, 200));
    await call(s.baseUrl, 'PUT', `${C}/v3/sendToDevice/m.test/t1`, {
      token: alice.accessToken,
      body: { messages: { [bob.userId]: { '*': { hello: true } } } },
    });
    const woke = await poll;
    assert.ok(Date.now() - started < 10_000, 'returned well before the timeout');
    assert.deepEqual(toDeviceEvents(woke.body), [{ type: 'm.test', sender: alice.userId, content: { hello: true } }]);
  } finally {
    await s.close();
  }
});

test('a backlog of to-device messages comes at most 100 per sync, in order, none lost or repeated', async () => {
  const s = await startTestServer({ ...TEST_USER_CONFIG, rateLimits: {} });
  try {
    const alice = await registerUser(s.baseUrl, s.config, 'alice');
    const bob = await registerUser(s.baseUrl, s.config, 'bob');
    const first = await call(s.baseUrl, 'GET', `${C}/v3/sync?timeout=0`, { token: bob.accessToken });
    let since = String(first.body.next_batch);
    const total = 150;
    for (let n = 0; n < total; n++) {
      const sent = await call(s.baseUrl, 'PUT', `${C}/v3/sendToDevice/m.test/backlog${n}`, {
        token: alice.accessToken,
        body: { messages: { [bob.userId]: { [bob.deviceId]: { n } } } },
      });
      assert.equal(sent.status, 200);
    }
    const seen: number[] = [];
    const sizes: number[] = [];
    for (let round = 0; round < 4; round++) {
      const got = await call(s.baseUrl, 'GET', `${C}/v3/sync?timeout=0&since=${encodeURIComponent(since)}`, { token: bob.accessToken });
      assert.equal(got.status, 200, JSON.stringify(got.body));
      const events = toDeviceEvents(got.body);
      sizes.push(events.length);
      seen.push(...events.map((e) => e.content.n as number));
      since = String(got.body.next_batch);
    }
    assert.deepEqual(sizes, [100, 50, 0, 0]);
    assert.deepEqual(seen, Array.from({ length: total }, (_, i) => i));
  } finally {
    await s.close();
  }
});
