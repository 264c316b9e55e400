import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, Direction, type MatrixClient } from 'matrix-js-sdk';
import { bodies, startReadTestServer, type ReadTestServer, type TestUser } from './helpers.js';

// matrix-js-sdk's own request methods against the room read endpoints: what a real client parses.

describe('room reads with matrix-js-sdk', () => {
  let s: ReadTestServer;
  let alice: TestUser;
  let client: MatrixClient;
  let roomId: string;

  before(async () => {
    s = await startReadTestServer();
    alice = await s.user('alice');
    client = createClient({ baseUrl: s.baseUrl, accessToken: alice.accessToken, userId: alice.userId, deviceId: alice.deviceId });
    roomId = await s.createRoom(alice, { preset: 'public_chat', name: 'SDK room', visibility: 'public' });
    for (let i = 1; i <= 5; i++) await s.send(alice, roomId, `sdk${i}`);
  });
  after(async () => {
    client.stopClient();
    await s.close();
  });

  test('createMessagesRequest pages backwards and forwards', async () => {
    const back = await client.createMessagesRequest(roomId, null, 3, Direction.Backward);
    assert.deepEqual(bodies(back.chunk), ['sdk5', 'sdk4', 'sdk3']);
    assert.ok(back.end);
    const more = await client.createMessagesRequest(roomId, back.end ?? null, 2, Direction.Backward);
    assert.deepEqual(bodies(more.chunk), ['sdk2', 'sdk1']);
    const fwd = await client.createMessagesRequest(roomId, more.end ?? null, 10, Direction.Forward);
    assert.deepEqual(bodies(fwd.chunk), ['sdk1', 'sdk2', 'sdk3', 'sdk4', 'sdk5']);
  });

  test('state, members, joined rooms, aliases, directory and timestamps', async () => {
    assert.deepEqual(await client.getStateEvent(roomId, 'm.room.name', ''), { name: 'SDK room' });
    const members = await client.members(roomId);
    assert.deepEqual((members.chunk ?? []).map((e) => e.state_key), [alice.userId]);
    assert.deepEqual((await client.getJoinedRooms()).joined_rooms, [roomId]);
    const joined = await client.getJoinedRoomMembers(roomId);
    assert.ok(alice.userId in joined.joined);

    await client.createAlias('#sdk:localhost', roomId);
    assert.equal((await client.getRoomIdForAlias('#sdk:localhost')).room_id, roomId);
    assert.deepEqual((await client.getLocalAliases(roomId)).aliases, ['#sdk:localhost']);
    await client.deleteAlias('#sdk:localhost');

    const dir = await client.publicRooms({ limit: 10 });
    assert.deepEqual(dir.chunk.map((r) => r.room_id), [roomId]);
    assert.equal((await client.getRoomDirectoryVisibility(roomId)).visibility, 'public');

    const found = await client.timestampToEvent(roomId, 0, Direction.Forward);
    assert.equal(typeof found.event_id, 'string');
  });
});
