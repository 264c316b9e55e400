import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../../helpers/server.js';
import { assertMatchesSpec } from '../../../helpers/spec-schemas.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../../helpers/users.js';

// The room write routes end to end: the real server, users registered over HTTP, responses checked against
// the spec's schemas.

const CS = '/_matrix/client/v3';

describe('room write routes', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  before(async () => {
    server = await startTestServer({ ...TEST_USER_CONFIG });
    alice = await registerUser(server.baseUrl, server.config, 'alice');
    bob = await registerUser(server.baseUrl, server.config, 'bob');
  });
  after(() => server.close());

  async function call(user: RegisteredUser | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (user) headers.Authorization = `Bearer ${user.accessToken}`;
    const res = await fetch(`${server.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const enc = encodeURIComponent;

  test('createRoom, join by alias, send with txn idempotency, state, redact, leave, forget', async () => {
    const created = await call(alice, 'POST', `${CS}/createRoom`, { preset: 'public_chat', room_alias_name: 'http', name: 'HTTP' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assertMatchesSpec('client-server', 'POST', '/_matrix/client/v3/createRoom', 200, created.body);
    const roomId = String(created.body.room_id);

    const joined = await call(bob, 'POST', `${CS}/join/${enc('#http:localhost')}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    assertMatchesSpec('client-server', 'POST', '/_matrix/client/v3/join/{roomIdOrAlias}', 200, joined.body);
    assert.equal(joined.body.room_id, roomId);

    const sendPath = `${CS}/rooms/${enc(roomId)}/send/m.room.message/t1`;
    const sent = await call(bob, 'PUT', sendPath, { msgtype: 'm.text', body: 'hello' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assertMatchesSpec('client-server', 'PUT', '/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}', 200, sent.body);
    const resent = await call(bob, 'PUT', sendPath, { msgtype: 'm.text', body: 'hello' });
    assert.equal(resent.body.event_id, sent.body.event_id);

    const state = await call(alice, 'PUT', `${CS}/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: 'T' });
    assert.equal(state.status, 200, JSON.stringify(state.body));
    assertMatchesSpec('client-server', 'PUT', '/_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}', 200, state.body);
    const noKey = await call(alice, 'PUT', `${CS}/rooms/${enc(roomId)}/state/m.room.name`, { name: 'N' });
    assert.equal(noKey.status, 200, JSON.stringify(noKey.body));
    const denied = await call(bob, 'PUT', `${CS}/rooms/${enc(roomId)}/state/m.room.name/`, { name: 'B' });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.errcode, 'M_FORBIDDEN');

    const redacted = await call(bob, 'PUT', `${CS}/rooms/${enc(roomId)}/redact/${enc(String(sent.body.event_id))}/r1`, { reason: 'oops' });
    assert.equal(redacted.status, 200, JSON.stringify(redacted.body));
    assertMatchesSpec('client-server', 'PUT', '/_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId}', 200, redacted.body);

    const left = await call(bob, 'POST', `${CS}/rooms/${enc(roomId)}/leave`);
    assert.equal(left.status, 200, JSON.stringify(left.body));
    assertMatchesSpec('client-server', 'POST', '/_matrix/client/v3/rooms/{roomId}/leave', 200, left.body);
    const forgot = await call(bob, 'POST', `${CS}/rooms/${enc(roomId)}/forget`, {});
    assert.equal(forgot.status, 200, JSON.stringify(forgot.body));
    assertMatchesSpec('client-server', 'POST', '/_matrix/client/v3/rooms/{roomId}/forget', 200, forgot.body);
    const notMember = await call(bob, 'PUT', `${CS}/rooms/${enc(roomId)}/send/m.room.message/t2`, { body: 'x' });
    assert.equal(notMember.status, 403);
  });

  test('invite, kick, ban, unban, knock and upgrade through HTTP', async () => {
    const roomId = String((await call(alice, 'POST', `${CS}/createRoom`, {})).body.room_id);
    const inv = await call(alice, 'POST', `${CS}/rooms/${enc(roomId)}/invite`, { user_id: bob.userId });
    assert.equal(inv.status, 200, JSON.stringify(inv.body));
    assertMatchesSpec('client-server', 'POST', '/_matrix/client/v3/rooms/{roomId}/invite', 200, inv.body);
    const joined = await call(bob, 'POST', `${CS}/rooms/${enc(roomId)}/join`);
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    assertMatchesSpec('client-server', 'POST', '/_matrix/client/v3/rooms/{roomId}/join', 200, joined.body);
    for (const [action, path] of [
      ['kick', '/_matrix/client/v3/rooms/{roomId}/kick'],
      ['ban', '/_matrix/client/v3/rooms/{roomId}/ban'],
      ['unban', '/_matrix/client/v3/rooms/{roomId}/unban'],
    ] as const) {
      const r = await call(alice, 'POST', `${CS}/rooms/${enc(roomId)}/${action}`, { user_id: bob.userId, reason: 'r' });
      assert.equal(r.status, 200, `${action}: ${JSON.stringify(r.body)}`);
      assertMatchesSpec('client-server', 'POST', path, 200, r.body);
    }
    const missing = await call(alice, 'POST', `${CS}/rooms/${enc(roomId)}/kick`, {});
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errcode, 'M_MISSING_PARAM');

    await call(alice, 'PUT', `${CS}/rooms/${enc(roomId)}/state/m.room.join_rules/`, { join_rule: 'knock' });
    const knocked = await call(bob, 'POST', `${CS}/knock/${enc(roomId)}`, { reason: 'hi' });
    assert.equal(knocked.status, 200, JSON.stringify(knocked.body));
    assertMatchesSpec('client-server', 'POST', '/_matrix/client/v3/knock/{roomIdOrAlias}', 200, knocked.body);

    const upgraded = await call(alice, 'POST', `${CS}/rooms/${enc(roomId)}/upgrade`, { new_version: '11' });
    assert.equal(upgraded.status, 200, JSON.stringify(upgraded.body));
    assertMatchesSpec('client-server', 'POST', '/_matrix/client/v3/rooms/{roomId}/upgrade', 200, upgraded.body);
    const bad = await call(alice, 'POST', `${CS}/rooms/${enc(String(upgraded.body.replacement_room))}/upgrade`, { new_version: 'nope' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errcode, 'M_UNSUPPORTED_ROOM_VERSION');
  });

  test('bad requests: no token, bad JSON, unknown room, unsupported version, r0 paths', async () => {
    assert.equal((await call(null, 'POST', `${CS}/createRoom`, {})).body.errcode, 'M_MISSING_TOKEN');
    const res = await fetch(`${server.baseUrl}${CS}/createRoom`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'application/json' },
      body: '{not json',
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { errcode: string }).errcode, 'M_NOT_JSON');
    const wrongType = await call(alice, 'POST', `${CS}/createRoom`, { invite: 'x' });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.body.errcode, 'M_BAD_JSON');
    const version = await call(alice, 'POST', `${CS}/createRoom`, { room_version: '0' });
    assert.equal(version.body.errcode, 'M_UNSUPPORTED_ROOM_VERSION');
    const unknown = await call(alice, 'POST', `${CS}/join/${enc('!nowhere:localhost')}`, {});
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.errcode, 'M_NOT_FOUND');
    const r0 = await call(alice, 'POST', '/_matrix/client/r0/createRoom', {});
    assert.equal(r0.status, 200);
  });
});
