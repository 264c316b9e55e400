import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import type { TestServer } from '../../helpers/server.js';
import { apiFor, createRoom, q, send, startSyncServer, type Api, type J } from './helpers.js';

describe('/sync through the real server', () => {
  let server: TestServer;
  let alice: Api;
  let bob: Api;
  before(async () => {
    server = await startSyncServer();
    alice = await apiFor(server, 'alice');
    bob = await apiFor(server, 'bob');
  });
  after(() => server.close());

  test('initial sync carries a created room with its state, timeline and summary', async () => {
    const roomId = await createRoom(alice, { name: 'Room A' });
    await send(alice, roomId, 'hello');
    const body: J = await alice.ok('GET', `/v3/sync${q({ timeout: 0 })}`);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/sync', 200, body);
    assert.match(body.next_batch, /^s\d+(_\d+)+$/);
    const room = body.rooms.join[roomId];
    assert.ok(room, 'room in rooms.join');
    const types = room.timeline.events.map((e: J) => e.type);
    assert.ok(types.includes('m.room.message'));
    const stateTypes = [...room.state.events, ...room.timeline.events].map((e: J) => e.type);
    assert.ok(stateTypes.includes('m.room.create'));
    assert.equal(room.summary['m.joined_member_count'], 1);
    assert.ok(room.timeline.events.every((e: J) => e.room_id === undefined));
  });
});
