import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, Direction, FeatureSupport, Thread, ThreadFilterType, type MatrixClient } from 'matrix-js-sdk';
import { startReadTestServer, type ReadTestServer, type TestUser } from '../rooms/read/helpers.js';

// matrix-js-sdk's own request methods for relations, thread lists and search: what a real client parses.

describe('relations, threads and search with matrix-js-sdk', () => {
  let s: ReadTestServer;
  let alice: TestUser;
  let bob: TestUser;
  let client: MatrixClient;
  let roomId: string;
  let root: string;
  let replies: string[];

  before(async () => {
    s = await startReadTestServer();
    alice = await s.user('alice');
    bob = await s.user('bob');
    client = createClient({ baseUrl: s.baseUrl, accessToken: alice.accessToken, userId: alice.userId, deviceId: alice.deviceId });
    roomId = await s.createRoom(alice, { preset: 'public_chat' });
    await s.ok(bob, 'POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    root = await s.send(alice, roomId, 'what shall we cook tonight');
    const inThread = { 'm.relates_to': { rel_type: 'm.thread', event_id: root } };
    replies = [await s.send(bob, roomId, 'risotto', inThread), await s.send(alice, roomId, 'curry', inThread)];
  });
  after(async () => {
    client.stopClient();
    await s.close();
  });

  test('relations() returns the thread replies as MatrixEvents', async () => {
    const res = await client.relations(roomId, root, 'm.thread', null, { dir: Direction.Forward });
    assert.deepEqual(
      res.events.map((e) => e.getId()),
      replies,
    );
    assert.equal(res.events[0]?.getContent().body, 'risotto');
  });

  test('createThreadListMessagesRequest lists the root with its m.thread aggregation', async () => {
    // What the SDK concludes from /versions (v1.4+) when it starts syncing; set directly as no sync runs here.
    Thread.setServerSideListSupport(FeatureSupport.Stable);
    const res = await client.createThreadListMessagesRequest(roomId, null, 10, Direction.Backward, ThreadFilterType.All);
    const [first] = res.chunk;
    assert.ok(first);
    assert.equal(first.event_id, root);
    const thread = (first.unsigned?.['m.relations'] as Record<string, { count: number; latest_event: { event_id: string } }> | undefined)?.['m.thread'];
    assert.equal(thread?.count, 2);
    assert.equal(thread?.latest_event.event_id, replies[1]);
    const mine = await client.createThreadListMessagesRequest(roomId, null, 10, Direction.Backward, ThreadFilterType.My);
    assert.deepEqual(mine.chunk.map((e) => e.event_id), [root]);
  });

  test('searchRoomEvents finds a message with its context', async () => {
    const res = await client.searchRoomEvents({ term: 'risotto' });
    assert.equal(res.results.length, 1);
    const [hit] = res.results;
    assert.equal(hit?.context.getEvent().getId(), replies[0]);
    assert.ok(res.highlights.includes('risotto'));
  });
});
