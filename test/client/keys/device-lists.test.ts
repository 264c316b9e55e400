import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';
import { makeDevice } from '../../users/e2e/fixtures.js';
import { C, call } from './http.js';

type DeviceLists = { changed?: string[]; left?: string[] };

describe('device-list tracking over HTTP (/sync device_lists and /keys/changes)', () => {
  let s: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  before(async () => {
    s = await startTestServer({ ...TEST_USER_CONFIG, rateLimits: {} });
    alice = await registerUser(s.baseUrl, s.config, 'alice');
    bob = await registerUser(s.baseUrl, s.config, 'bob');
    carol = await registerUser(s.baseUrl, s.config, 'carol');
  });
  after(() => s.close());

  const sync = async (u: RegisteredUser, since?: string) => {
    const r = await call(s.baseUrl, 'GET', `${C}/v3/sync?timeout=0${since ? `&since=${encodeURIComponent(since)}` : ''}`, { token: u.accessToken });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };

  test('room-mates\' key uploads and joins show in changed, a departure in left; strangers never', async () => {
    const room = await call(s.baseUrl, 'POST', `${C}/v3/createRoom`, { token: alice.accessToken, body: { preset: 'public_chat' } });
    assert.equal(room.status, 200, JSON.stringify(room.body));
    const roomId = String(room.body.room_id);
    const start = String((await sync(alice)).next_batch);

    assert.equal((await call(s.baseUrl, 'POST', `${C}/v3/rooms/${encodeURIComponent(roomId)}/join`, { token: bob.accessToken, body: {} })).status, 200);
    await call(s.baseUrl, 'POST', `${C}/v3/keys/upload`, { token: bob.accessToken, body: { device_keys: makeDevice(bob.userId, bob.deviceId).deviceKeys } });
    await call(s.baseUrl, 'POST', `${C}/v3/keys/upload`, { token: carol.accessToken, body: { device_keys: makeDevice(carol.userId, carol.deviceId).deviceKeys } });

    const afterJoin = await sync(alice, start);
    assertMatchesSpec('client-server', 'GET', `${C}/v3/sync`, 200, afterJoin);
    const lists = afterJoin.device_lists as DeviceLists;
    assert.deepEqual(lists.changed, [bob.userId]);
    assert.deepEqual(lists.left, []);
    const mid = String(afterJoin.next_batch);

    const changes = await call(s.baseUrl, 'GET', `${C}/v3/keys/changes?from=${encodeURIComponent(start)}&to=${encodeURIComponent(mid)}`, { token: alice.accessToken });
    assert.equal(changes.status, 200, JSON.stringify(changes.body));
    assertMatchesSpec('client-server', 'GET', `${C}/v3/keys/changes`, 200, changes.body);
    assert.deepEqual(changes.body, { changed: [bob.userId], left: [] });

    assert.equal((await call(s.baseUrl, 'POST', `${C}/v3/rooms/${encodeURIComponent(roomId)}/leave`, { token: bob.accessToken, body: {} })).status, 200);
    const afterLeave = await sync(alice, mid);
    assert.deepEqual(afterLeave.device_lists, { changed: [], left: [bob.userId] });

    const missing = await call(s.baseUrl, 'GET', `${C}/v3/keys/changes?from=${encodeURIComponent(start)}`, { token: alice.accessToken });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errcode, 'M_MISSING_PARAM');
  });

  test('a new device of a room-mate wakes the long-poll and shows in changed', async () => {
    const room = await call(s.baseUrl, 'POST', `${C}/v3/createRoom`, { token: alice.accessToken, body: { preset: 'public_chat' } });
    const roomId = String(room.body.room_id);
    await call(s.baseUrl, 'POST', `${C}/v3/rooms/${encodeURIComponent(roomId)}/join`, { token: carol.accessToken, body: {} });
    const since = String((await sync(alice)).next_batch);
    const started = Date.now();
    const poll = call(s.baseUrl, 'GET', `${C}/v3/sync?timeout=20000&since=${encodeURIComponent(since)}`, { token: alice.accessToken });
    await new Promise((r) => setTimeout(r, 200));
    const login = await call(s.baseUrl, 'POST', `${C}/v3/login`, {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: carol.userId }, password: carol.password },
    });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const woke = await poll;
    assert.ok(Date.now() - started < 10_000);
    assert.deepEqual((woke.body.device_lists as DeviceLists).changed, [carol.userId]);
  });
});
