import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';

// Spaces over the real server: /hierarchy ordering, suggested_only, max_depth, pagination and visibility;
// /room_summary; and a restricted join through membership of a real space.

const V1 = '/_matrix/client/v1';
const V3 = '/_matrix/client/v3';
const HIERARCHY = '/_matrix/client/v1/rooms/{roomId}/hierarchy';

describe('spaces', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  const enc = encodeURIComponent;

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
  async function createRoom(user: RegisteredUser, body: Record<string, unknown>): Promise<string> {
    const r = await call(user, 'POST', `${V3}/createRoom`, body);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return String(r.body.room_id);
  }
  async function addChild(space: string, child: string, content: Record<string, unknown>): Promise<void> {
    const r = await call(alice, 'PUT', `${V3}/rooms/${enc(space)}/state/m.space.child/${enc(child)}`, { via: ['localhost'], ...content });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const ids = (body: Record<string, unknown>) => (body.rooms as Array<{ room_id: string }>).map((r) => r.room_id);

  let space: string;
  let subspace: string;
  let roomA: string;
  let roomB: string;
  let roomC: string;
  let privateRoom: string;

  before(async () => {
    space = await createRoom(alice, { preset: 'public_chat', name: 'Space', creation_content: { type: 'm.space' } });
    subspace = await createRoom(alice, { preset: 'public_chat', name: 'Sub', creation_content: { type: 'm.space' } });
    roomA = await createRoom(alice, { preset: 'public_chat', name: 'A', topic: 'first' });
    roomB = await createRoom(alice, { preset: 'public_chat', name: 'B' });
    roomC = await createRoom(alice, { preset: 'public_chat', name: 'C' });
    privateRoom = await createRoom(alice, { preset: 'private_chat', name: 'Secret' });
    // Order: B has order "a", A has order "b", Sub has no order (after ordered ones); C lives in Sub.
    await addChild(space, roomA, { order: 'b', suggested: true });
    await addChild(space, roomB, { order: 'a' });
    await addChild(space, subspace, {});
    await addChild(space, privateRoom, { order: 'c' });
    await addChild(subspace, roomC, {});
    // A child without via is not a link.
    const r = await call(alice, 'PUT', `${V3}/rooms/${enc(space)}/state/m.space.child/${enc('!gone:localhost')}`, {});
    assert.equal(r.status, 200);
  });

  test('a space with child rooms returns them depth-first in the spec order, private rooms only to members', async () => {
    const res = await call(bob, 'GET', `${V1}/rooms/${enc(space)}/hierarchy`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertMatchesSpec('client-server', 'GET', HIERARCHY, 200, res.body);
    assert.deepEqual(ids(res.body), [space, roomB, roomA, subspace, roomC]);
    const root = (res.body.rooms as Array<Record<string, unknown>>)[0];
    assert.equal(root?.room_type, 'm.space');
    assert.equal(root?.name, 'Space');
    assert.equal(root?.join_rule, 'public');
    const children = root?.children_state as Array<{ state_key: string; type: string }>;
    assert.deepEqual(children.map((c) => c.state_key), [roomB, roomA, privateRoom, subspace]);
    assert.ok(children.every((c) => c.type === 'm.space.child'));
    assert.equal(res.body.next_batch, undefined);

    // Alice is in the private room, so she sees it.
    const mine = await call(alice, 'GET', `${V1}/rooms/${enc(space)}/hierarchy`);
    assert.deepEqual(ids(mine.body), [space, roomB, roomA, privateRoom, subspace, roomC]);
  });

  test('suggested_only, max_depth and limit with from pagination', async () => {
    const suggested = await call(bob, 'GET', `${V1}/rooms/${enc(space)}/hierarchy?suggested_only=true`);
    assert.deepEqual(ids(suggested.body), [space, roomA]);

    const shallow = await call(bob, 'GET', `${V1}/rooms/${enc(space)}/hierarchy?max_depth=0`);
    assert.deepEqual(ids(shallow.body), [space]);
    const one = await call(bob, 'GET', `${V1}/rooms/${enc(space)}/hierarchy?max_depth=1`);
    assert.deepEqual(ids(one.body), [space, roomB, roomA, subspace]);

    const seen: string[] = [];
    let from: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await call(bob, 'GET', `${V1}/rooms/${enc(space)}/hierarchy?limit=2${from ? `&from=${enc(from)}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assertMatchesSpec('client-server', 'GET', HIERARCHY, 200, page.body);
      seen.push(...ids(page.body));
      from = page.body.next_batch as string | undefined;
      if (!from) break;
    }
    assert.deepEqual(seen, [space, roomB, roomA, subspace, roomC]);

    const wrong = await call(bob, 'GET', `${V1}/rooms/${enc(space)}/hierarchy?limit=2&from=garbage`);
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.errcode, 'M_INVALID_PARAM');
  });

  test('a private space is refused to non-members; bad parameters are rejected', async () => {
    const hidden = await createRoom(alice, { preset: 'private_chat', creation_content: { type: 'm.space' } });
    const res = await call(bob, 'GET', `${V1}/rooms/${enc(hidden)}/hierarchy`);
    assert.equal(res.status, 403);
    assert.equal(res.body.errcode, 'M_FORBIDDEN');
    const bad = await call(bob, 'GET', `${V1}/rooms/${enc(space)}/hierarchy?max_depth=-1`);
    assert.equal(bad.status, 400);
    const noAuth = await call(null, 'GET', `${V1}/rooms/${enc(space)}/hierarchy`);
    assert.equal(noAuth.status, 401);
  });

  test('room_summary by id and alias, hidden for private rooms', async () => {
    const aliased = await createRoom(alice, { preset: 'public_chat', name: 'Summ', room_alias_name: 'summ', topic: 'about' });
    const byAlias = await call(bob, 'GET', `${V1}/room_summary/${enc('#summ:localhost')}`);
    assert.equal(byAlias.status, 200, JSON.stringify(byAlias.body));
    assertMatchesSpec('client-server', 'GET', '/_matrix/client/v1/room_summary/{roomIdOrAlias}', 200, byAlias.body);
    assert.equal(byAlias.body.room_id, aliased);
    assert.equal(byAlias.body.name, 'Summ');
    assert.equal(byAlias.body.topic, 'about');
    assert.equal(byAlias.body.canonical_alias, '#summ:localhost');
    assert.equal(byAlias.body.num_joined_members, 1);
    assert.equal(byAlias.body.membership, undefined);
    const asMember = await call(alice, 'GET', `${V1}/room_summary/${enc(aliased)}`);
    assert.equal(asMember.body.membership, 'join');
    const unauthenticated = await call(null, 'GET', `${V1}/room_summary/${enc(aliased)}`);
    assert.equal(unauthenticated.status, 200);
    const unstable = await call(bob, 'GET', `/_matrix/client/unstable/im.nheko.summary/summary/${enc(aliased)}`);
    assert.equal(unstable.body.room_id, aliased);

    const secret = await call(bob, 'GET', `${V1}/room_summary/${enc(privateRoom)}`);
    assert.equal(secret.status, 404);
    assert.equal(secret.body.errcode, 'M_NOT_FOUND');
  });

  test('a restricted room lets members of its space join, and is visible to them in the hierarchy', async () => {
    const r = await createRoom(alice, {
      preset: 'private_chat',
      name: 'Members only',
      initial_state: [
        { type: 'm.room.join_rules', state_key: '', content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: space }] } },
      ],
    });
    await addChild(space, r, { order: 'd' });
    const carol = await registerUser(server.baseUrl, server.config, 'carol');
    const before = await call(carol, 'GET', `${V1}/rooms/${enc(space)}/hierarchy`);
    assert.ok(!ids(before.body).includes(r));
    const refused = await call(carol, 'POST', `${V3}/join/${enc(r)}`, {});
    assert.equal(refused.status, 403, JSON.stringify(refused.body));

    const joinedSpace = await call(carol, 'POST', `${V3}/join/${enc(space)}`, {});
    assert.equal(joinedSpace.status, 200, JSON.stringify(joinedSpace.body));
    const after = await call(carol, 'GET', `${V1}/rooms/${enc(space)}/hierarchy`);
    const entry = (after.body.rooms as Array<Record<string, unknown>>).find((x) => x.room_id === r);
    assert.equal(entry?.join_rule, 'restricted');
    const joined = await call(carol, 'POST', `${V3}/join/${enc(r)}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
  });
});
