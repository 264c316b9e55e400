import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, type MatrixClient } from 'matrix-js-sdk';
import { enc, startReadTestServer, type ReadTestServer, type TestUser } from '../rooms/read/helpers.js';

// matrix-js-sdk's own request methods for spaces, the user directory, reporting and OpenID: what a real client
// sends and parses.

describe('spaces, user directory, reporting with matrix-js-sdk', () => {
  let s: ReadTestServer;
  let alice: TestUser;
  let bob: TestUser;
  let client: MatrixClient;
  let space: string;
  let children: string[];

  before(async () => {
    s = await startReadTestServer();
    alice = await s.user('alice');
    bob = await s.user('bob');
    client = createClient({ baseUrl: s.baseUrl, accessToken: bob.accessToken, userId: bob.userId, deviceId: bob.deviceId });
    space = await s.createRoom(alice, { preset: 'public_chat', name: 'Space', creation_content: { type: 'm.space' } });
    children = [await s.createRoom(alice, { preset: 'public_chat', name: 'One' }), await s.createRoom(alice, { preset: 'public_chat', name: 'Two' })];
    for (const [i, child] of children.entries()) {
      await s.ok(alice, 'PUT', `/v3/rooms/${enc(space)}/state/m.space.child/${enc(child)}`, { via: ['localhost'], order: String(i) });
    }
  });
  after(async () => {
    client.stopClient();
    await s.close();
  });

  test('getRoomHierarchy returns the space and its children in order, and pages', async () => {
    const res = await client.getRoomHierarchy(space);
    assert.deepEqual(res.rooms.map((r) => r.room_id), [space, ...children]);
    assert.equal(res.rooms[0]?.room_type, 'm.space');
    assert.equal(res.rooms[0]?.children_state.length, 2);
    const page = await client.getRoomHierarchy(space, 1);
    assert.deepEqual(page.rooms.map((r) => r.room_id), [space]);
    assert.ok(page.next_batch);
    const next = await client.getRoomHierarchy(space, 1, undefined, false, page.next_batch);
    assert.deepEqual(next.rooms.map((r) => r.room_id), [children[0]]);
  });

  test('getRoomSummary previews a public room', async () => {
    const summary = await client.getRoomSummary(children[1] ?? '');
    assert.equal(summary.name, 'Two');
    assert.equal(summary.num_joined_members, 1);
  });

  test('searchUserDirectory finds a user who shares a room', async () => {
    assert.deepEqual((await client.searchUserDirectory({ term: 'alice' })).results.map((r) => r.user_id), [alice.userId]);
    const priv = await s.createRoom(bob, { preset: 'private_chat' });
    const carol = await s.user('carol');
    await s.ok(bob, 'POST', `/v3/rooms/${enc(priv)}/invite`, { user_id: carol.userId });
    assert.deepEqual((await client.searchUserDirectory({ term: 'carol' })).results, []);
    await s.ok(carol, 'POST', `/v3/join/${enc(priv)}`, {});
    assert.deepEqual((await client.searchUserDirectory({ term: 'carol' })).results.map((r) => r.user_id), [carol.userId]);
  });

  test('reportEvent and reportRoom are stored', async () => {
    await s.ok(bob, 'POST', `/v3/join/${enc(space)}`, {});
    const eventId = await s.send(alice, space, 'bad words');
    await client.reportEvent(space, eventId, -100, 'rude');
    await client.reportRoom(space, 'spammy space');
    const events = await s.storage.directory.listReports({ kinds: ['event'], offset: 0, limit: 10, dir: 'b' });
    assert.equal(events.reports[0]?.eventId, eventId);
    assert.equal(events.reports[0]?.reporter, bob.userId);
    const rooms = await s.storage.directory.listReports({ kinds: ['room'], offset: 0, limit: 10, dir: 'b' });
    assert.equal(rooms.reports[0]?.reason, 'spammy space');
  });

  test('getOpenIdToken and setIgnoredUsers', async () => {
    const token = await client.getOpenIdToken();
    assert.equal(token.matrix_server_name, 'localhost');
    assert.equal(await s.storage.directory.getOpenIdTokenUser(
      (await import('node:crypto')).createHash('sha256').update(token.access_token).digest('hex'),
      Date.now(),
    ), bob.userId);
    await client.setIgnoredUsers([alice.userId]);
    const messages = await s.ok(bob, 'GET', `/v3/rooms/${enc(space)}/messages?dir=b&limit=50`);
    assert.ok(!(messages.chunk as Array<{ type: string; sender: string }>).some((e) => e.type === 'm.room.message' && e.sender === alice.userId));
  });
});
