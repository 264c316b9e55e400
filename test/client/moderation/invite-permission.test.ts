import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';

// Invite permission (v1.18): m.invite_permission_config default_action=block makes invites fail with
// M_INVITE_BLOCKED (POST /invite, PUT state m.room.member), drops the user from createRoom's invite list while
// the room is still created, and hides pending invites from /sync until unblocked.

const V3 = '/_matrix/client/v3';

describe('invite permission', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  const enc = encodeURIComponent;

  async function call(user: RegisteredUser, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Authorization: `Bearer ${user.accessToken}` };
    const res = await fetch(`${server.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const setBlock = (content: Record<string, unknown>) =>
    call(bob, 'PUT', `${V3}/user/${enc(bob.userId)}/account_data/m.invite_permission_config`, content);
  const invites = async () => Object.keys(((await call(bob, 'GET', `${V3}/sync?timeout=0`)).body.rooms as { invite?: object } | undefined)?.invite ?? {});

  before(async () => {
    server = await startTestServer({ ...TEST_USER_CONFIG });
    alice = await registerUser(server.baseUrl, server.config, 'alice');
    bob = await registerUser(server.baseUrl, server.config, 'bob');
  });
  after(() => server.close());

  test('blocked invites fail with M_INVITE_BLOCKED and pending ones are hidden until unblocked', async () => {
    const earlier = String((await call(alice, 'POST', `${V3}/createRoom`, { invite: [bob.userId] })).body.room_id);
    assert.deepEqual(await invites(), [earlier]);

    assert.equal((await setBlock({ default_action: 'block' })).status, 200);
    assert.deepEqual(await invites(), []);

    const room = String((await call(alice, 'POST', `${V3}/createRoom`, {})).body.room_id);
    const invite = await call(alice, 'POST', `${V3}/rooms/${enc(room)}/invite`, { user_id: bob.userId });
    assert.equal(invite.status, 403);
    assert.equal(invite.body.errcode, 'M_INVITE_BLOCKED');
    const viaState = await call(alice, 'PUT', `${V3}/rooms/${enc(room)}/state/m.room.member/${enc(bob.userId)}`, { membership: 'invite' });
    assert.equal(viaState.status, 403);
    assert.equal(viaState.body.errcode, 'M_INVITE_BLOCKED');

    const created = await call(alice, 'POST', `${V3}/createRoom`, { invite: [bob.userId] });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const members = await call(alice, 'GET', `${V3}/rooms/${enc(String(created.body.room_id))}/joined_members`);
    assert.equal(members.status, 200);
    const state = await call(alice, 'GET', `${V3}/rooms/${enc(String(created.body.room_id))}/state/m.room.member/${enc(bob.userId)}`);
    assert.equal(state.status, 404);

    // Unblocking (the event without default_action) restores invites, the suppressed one included.
    assert.equal((await setBlock({})).status, 200);
    assert.deepEqual(await invites(), [earlier]);
    const ok = await call(alice, 'POST', `${V3}/rooms/${enc(room)}/invite`, { user_id: bob.userId });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });
});
