import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertMatchesSpec } from '../../../helpers/spec-schemas.js';
import { enc, startReadTestServer, type Json, type ReadTestServer, type TestUser } from './helpers.js';

// Aliases, the published room list and /publicRooms through the real server.

describe('room directory', () => {
  let s: ReadTestServer;
  let alice: TestUser;
  let bob: TestUser;
  let roomId: string;

  before(async () => {
    s = await startReadTestServer();
    alice = await s.user('alice');
    bob = await s.user('bob');
    roomId = await s.createRoom(alice, { preset: 'public_chat', name: 'Directory room' });
  });
  after(() => s.close());

  const alias = (a: string) => `/v3/directory/room/${enc(a)}`;

  test('create, resolve, list and delete an alias', async () => {
    const a = '#lobby:localhost';
    const put = await s.call(alice, 'PUT', alias(a), { room_id: roomId });
    assert.equal(put.status, 200);
    assertMatchesSpec('client-server', 'put', '/_matrix/client/v3/directory/room/{roomAlias}', 200, put.body);

    const got = await s.call(null, 'GET', alias(a));
    assert.equal(got.status, 200);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/directory/room/{roomAlias}', 200, got.body);
    assert.deepEqual(got.body, { room_id: roomId, servers: ['localhost'] });

    const list = await s.call(alice, 'GET', `/v3/rooms/${enc(roomId)}/aliases`);
    assert.equal(list.status, 200);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/rooms/{roomId}/aliases', 200, list.body);
    assert.deepEqual(list.body.aliases, [a]);

    const again = await s.call(alice, 'PUT', alias(a), { room_id: roomId });
    assert.equal(again.status, 409);

    const del = await s.call(alice, 'DELETE', alias(a));
    assert.equal(del.status, 200);
    assertMatchesSpec('client-server', 'delete', '/_matrix/client/v3/directory/room/{roomAlias}', 200, del.body);
    const gone = await s.call(null, 'GET', alias(a));
    assert.equal(gone.status, 404);
    assert.equal(gone.body.errcode, 'M_NOT_FOUND');
    assert.equal((await s.call(alice, 'DELETE', alias(a))).status, 404);
  });

  test('alias errors: invalid, foreign server, missing room_id, not a member, not allowed to delete', async () => {
    assert.equal((await s.call(alice, 'PUT', alias('not-an-alias'), { room_id: roomId })).body.errcode, 'M_INVALID_PARAM');
    const foreign = await s.call(alice, 'PUT', alias('#x:elsewhere.example'), { room_id: roomId });
    assert.equal(foreign.status, 400);
    assert.equal(foreign.body.errcode, 'M_INVALID_PARAM');
    assert.equal((await s.call(alice, 'PUT', alias('#y:localhost'), {})).body.errcode, 'M_MISSING_PARAM');
    assert.equal((await s.call(bob, 'PUT', alias('#bobs:localhost'), { room_id: roomId })).status, 403);
    assert.equal((await s.call(null, 'PUT', alias('#anon:localhost'), { room_id: roomId })).status, 401);

    await s.ok(alice, 'PUT', alias('#keep:localhost'), { room_id: roomId });
    await s.ok(bob, 'POST', `/v3/rooms/${enc(roomId)}/join`, {});
    // Bob is a member without power over canonical aliases and did not create it.
    const denied = await s.call(bob, 'DELETE', alias('#keep:localhost'));
    assert.equal(denied.status, 403);
    assert.equal(denied.body.errcode, 'M_FORBIDDEN');
    // Bob may delete an alias he created himself.
    await s.ok(bob, 'PUT', alias('#bobs:localhost'), { room_id: roomId });
    await s.ok(bob, 'DELETE', alias('#bobs:localhost'));
  });

  test('published visibility: read without a token, changed only with power', async () => {
    const path = `/v3/directory/list/room/${enc(roomId)}`;
    const before = await s.call(null, 'GET', path);
    assert.equal(before.status, 200);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/directory/list/room/{roomId}', 200, before.body);
    assert.deepEqual(before.body, { visibility: 'private' });
    assert.equal((await s.call(bob, 'PUT', path, { visibility: 'public' })).status, 403);
    assert.equal((await s.call(alice, 'PUT', path, { visibility: 'sideways' })).status, 400);
    const put = await s.call(alice, 'PUT', path, { visibility: 'public' });
    assert.equal(put.status, 200);
    assertMatchesSpec('client-server', 'put', '/_matrix/client/v3/directory/list/room/{roomId}', 200, put.body);
    assert.deepEqual(await s.ok(null, 'GET', path), { visibility: 'public' });
    assert.equal((await s.call(null, 'GET', `/v3/directory/list/room/${enc('!unknown:localhost')}`)).status, 404);
  });

  test('/publicRooms lists published rooms with their details, pages and searches', async () => {
    const second = await s.createRoom(alice, { preset: 'public_chat', name: 'Gardening', topic: 'Tomatoes', visibility: 'public' });
    const space = await s.createRoom(alice, { name: 'A space', creation_content: { type: 'm.space' }, visibility: 'public' });
    await s.ok(alice, 'PUT', `/v3/directory/list/room/${enc(roomId)}`, { visibility: 'public' });

    const all = await s.call(null, 'GET', '/v3/publicRooms');
    assert.equal(all.status, 200);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/publicRooms', 200, all.body);
    const chunk = all.body.chunk as Json[];
    assert.equal(all.body.total_room_count_estimate, 3);
    // Most joined members first: the first room has alice and bob.
    assert.equal(chunk[0]?.room_id, roomId);
    assert.equal(chunk[0]?.num_joined_members, 2);
    const garden = chunk.find((r) => r.room_id === second);
    assert.equal(garden?.name, 'Gardening');
    assert.equal(garden?.topic, 'Tomatoes');
    assert.equal(garden?.join_rule, 'public');
    assert.equal(garden?.world_readable, false);
    assert.equal(garden?.guest_can_join, false);
    assert.equal(chunk.find((r) => r.room_id === space)?.room_type, 'm.space');

    const page1 = await s.ok(null, 'GET', '/v3/publicRooms?limit=2');
    assert.equal((page1.chunk as Json[]).length, 2);
    assert.equal(typeof page1.next_batch, 'string');
    const page2 = await s.ok(null, 'GET', `/v3/publicRooms?limit=2&since=${enc(page1.next_batch as string)}`);
    assert.equal((page2.chunk as Json[]).length, 1);
    assert.equal(page2.next_batch, undefined);
    assert.equal(typeof page2.prev_batch, 'string');
    assert.equal((await s.call(null, 'GET', '/v3/publicRooms?since=garbage')).status, 400);

    const search = await s.call(bob, 'POST', '/v3/publicRooms', { filter: { generic_search_term: 'tomato' } });
    assert.equal(search.status, 200);
    assertMatchesSpec('client-server', 'post', '/_matrix/client/v3/publicRooms', 200, search.body);
    assert.deepEqual((search.body.chunk as Json[]).map((r) => r.room_id), [second]);
    const spaces = await s.ok(bob, 'POST', '/v3/publicRooms', { filter: { room_types: ['m.space'] } });
    assert.deepEqual((spaces.chunk as Json[]).map((r) => r.room_id), [space]);
    const plain = await s.ok(bob, 'POST', '/v3/publicRooms', { filter: { room_types: [null] } });
    assert.equal((plain.chunk as Json[]).length, 2);
    assert.equal((await s.call(null, 'POST', '/v3/publicRooms', {})).status, 401);
    assert.equal((await s.call(bob, 'POST', '/v3/publicRooms', { limit: 'x' })).body.errcode, 'M_BAD_JSON');
  });
});
