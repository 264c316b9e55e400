import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';

// Account suspension and locking through the spec's admin endpoints (v1.18), their effect on the client API
// (M_USER_SUSPENDED on writes while reads keep working; M_USER_LOCKED with soft_logout on everything), and
// TURN credentials.

const V1 = '/_matrix/client/v1';
const V3 = '/_matrix/client/v3';

describe('account moderation and TURN', () => {
  let server: TestServer;
  let admin: RegisteredUser;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  const enc = encodeURIComponent;

  async function call(user: RegisteredUser | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (user) headers.Authorization = `Bearer ${user.accessToken}`;
    const res = await fetch(`${server.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  before(async () => {
    server = await startTestServer({
      ...TEST_USER_CONFIG,
      ...({ turnUris: ['turn:turn.example.org:3478?transport=udp'], turnSharedSecret: 's3cret', turnUserLifetimeMs: 86_400_000 } as object),
    });
    admin = await registerUser(server.baseUrl, server.config, 'admin', { admin: true });
    alice = await registerUser(server.baseUrl, server.config, 'alice');
    bob = await registerUser(server.baseUrl, server.config, 'bob');
    roomId = String((await call(alice, 'POST', `${V3}/createRoom`, { preset: 'public_chat' })).body.room_id);
    assert.equal((await call(bob, 'POST', `${V3}/join/${enc(roomId)}`, {})).status, 200);
  });
  after(() => server.close());

  test('a suspended user can read, leave and redact their own events, but not send, join or invite', async () => {
    const own = await call(bob, 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/1`, { msgtype: 'm.text', body: 'before' });
    const aliceMsg = await call(alice, 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/1`, { msgtype: 'm.text', body: 'alice' });
    const put = await call(admin, 'PUT', `${V1}/admin/suspend/${enc(bob.userId)}`, { suspended: true });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assertMatchesSpec('client-server', 'PUT', '/_matrix/client/v1/admin/suspend/{userId}', 200, put.body);
    const get = await call(admin, 'GET', `${V1}/admin/suspend/${enc(bob.userId)}`);
    assert.deepEqual(get.body, { suspended: true });
    assertMatchesSpec('client-server', 'GET', '/_matrix/client/v1/admin/suspend/{userId}', 200, get.body);

    const send = await call(bob, 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/2`, { msgtype: 'm.text', body: 'after' });
    assert.equal(send.status, 403);
    assert.equal(send.body.errcode, 'M_USER_SUSPENDED');
    assert.equal((await call(bob, 'POST', `${V3}/createRoom`, {})).body.errcode, 'M_USER_SUSPENDED');
    const other = String((await call(alice, 'POST', `${V3}/createRoom`, { preset: 'public_chat' })).body.room_id);
    assert.equal((await call(bob, 'POST', `${V3}/join/${enc(other)}`, {})).body.errcode, 'M_USER_SUSPENDED');
    assert.equal((await call(bob, 'POST', `${V3}/rooms/${enc(roomId)}/invite`, { user_id: admin.userId })).body.errcode, 'M_USER_SUSPENDED');
    const redactOther = await call(bob, 'PUT', `${V3}/rooms/${enc(roomId)}/redact/${enc(String(aliceMsg.body.event_id))}/r1`, {});
    assert.equal(redactOther.body.errcode, 'M_USER_SUSPENDED');

    // Reads and their own clean-up still work.
    assert.equal((await call(bob, 'GET', `${V3}/sync?timeout=0`)).status, 200);
    assert.equal((await call(bob, 'GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b`)).status, 200);
    const redactOwn = await call(bob, 'PUT', `${V3}/rooms/${enc(roomId)}/redact/${enc(String(own.body.event_id))}/r2`, {});
    assert.equal(redactOwn.status, 200, JSON.stringify(redactOwn.body));

    assert.equal((await call(admin, 'PUT', `${V1}/admin/suspend/${enc(bob.userId)}`, { suspended: false })).status, 200);
    const again = await call(bob, 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/3`, { msgtype: 'm.text', body: 'back' });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    const left = await call(bob, 'POST', `${V3}/rooms/${enc(roomId)}/leave`, {});
    assert.equal(left.status, 200);
  });

  test('admin endpoint checks: admins only, local users, not oneself, unknown users 404', async () => {
    const notAdmin = await call(alice, 'GET', `${V1}/admin/suspend/${enc(bob.userId)}`);
    assert.equal(notAdmin.status, 403);
    assert.equal(notAdmin.body.errcode, 'M_FORBIDDEN');
    assert.equal((await call(admin, 'GET', `${V1}/admin/suspend/${enc('@x:remote.example')}`)).body.errcode, 'M_INVALID_PARAM');
    assert.equal((await call(admin, 'GET', `${V1}/admin/lock/${enc('@ghost:localhost')}`)).status, 404);
    assert.equal((await call(admin, 'PUT', `${V1}/admin/lock/${enc(admin.userId)}`, { locked: true })).status, 403);
    assert.equal((await call(admin, 'PUT', `${V1}/admin/lock/${enc(bob.userId)}`, {})).status, 400);
  });

  test('a locked user gets M_USER_LOCKED with soft_logout until unlocked', async () => {
    assert.equal((await call(bob, 'GET', `${V3}/account/whoami`)).status, 200);
    const lock = await call(admin, 'PUT', `${V1}/admin/lock/${enc(bob.userId)}`, { locked: true });
    assert.equal(lock.status, 200, JSON.stringify(lock.body));
    assertMatchesSpec('client-server', 'PUT', '/_matrix/client/v1/admin/lock/{userId}', 200, lock.body);
    const who = await call(bob, 'GET', `${V3}/account/whoami`);
    assert.equal(who.status, 401);
    assert.equal(who.body.errcode, 'M_USER_LOCKED');
    assert.equal(who.body.soft_logout, true);
    assert.deepEqual((await call(admin, 'GET', `${V1}/admin/lock/${enc(bob.userId)}`)).body, { locked: true });
    assert.equal((await call(admin, 'PUT', `${V1}/admin/lock/${enc(bob.userId)}`, { locked: false })).status, 200);
    assert.equal((await call(bob, 'GET', `${V3}/account/whoami`)).status, 200);
  });

  test('turnServer hands out HMAC credentials like Synapse', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await call(alice, 'GET', `${V3}/voip/turnServer`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertMatchesSpec('client-server', 'GET', '/_matrix/client/v3/voip/turnServer', 200, res.body);
    const username = String(res.body.username);
    const [expiry, user] = [Number(username.split(':')[0]), username.slice(username.indexOf(':') + 1)];
    assert.equal(user, alice.userId);
    assert.ok(expiry >= before + 86_400 && expiry <= before + 86_400 + 5);
    assert.equal(res.body.password, createHmac('sha1', 's3cret').update(username).digest('base64'));
    assert.deepEqual(res.body.uris, ['turn:turn.example.org:3478?transport=udp']);
    assert.equal(res.body.ttl, 86_400);
  });
});
