import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReadTestServer, type ReadTestServer, type TestUser } from '../rooms/read/helpers.js';

// Clients draw thread summaries and edits from the aggregations bundled into the events they page and
// sync, not from separate /relations calls: /messages, /context, /event and /sync all carry them.

interface ThreadSummary {
  count: number;
  current_user_participated: boolean;
  latest_event: { event_id: string };
}

function threadOf(ev: { unsigned?: Record<string, unknown> } | undefined): ThreadSummary | undefined {
  const rel = ev?.unsigned?.['m.relations'] as Record<string, unknown> | undefined;
  return rel?.['m.thread'] as ThreadSummary | undefined;
}

describe('bundled aggregations', () => {
  let s: ReadTestServer;
  let alice: TestUser;
  let bob: TestUser;
  let roomId: string;
  let root: string;
  let last: string;

  before(async () => {
    s = await startReadTestServer();
    alice = await s.user('alice');
    bob = await s.user('bob');
    roomId = await s.createRoom(alice, { preset: 'public_chat' });
    await s.ok(bob, 'POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    root = await s.send(alice, roomId, 'thread root');
    const inThread = { 'm.relates_to': { rel_type: 'm.thread', event_id: root } };
    await s.send(bob, roomId, 'first reply', inThread);
    last = await s.send(bob, roomId, 'second reply', inThread);
  });
  after(async () => s.close());

  test('/messages, /event and /context carry the thread summary of the root', async () => {
    const page = (await s.ok(alice, 'GET', `/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=20`)) as {
      chunk: Array<{ event_id: string; unsigned?: Record<string, unknown> }>;
    };
    const summary = threadOf(page.chunk.find((e) => e.event_id === root));
    assert.equal(summary?.count, 2);
    assert.equal(summary?.latest_event.event_id, last);
    assert.equal(summary?.current_user_participated, true, 'the sender of the root participates (spec)');

    const single = (await s.ok(alice, 'GET', `/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(root)}`)) as {
      unsigned?: Record<string, unknown>;
    };
    assert.equal(threadOf(single)?.count, 2);

    const ctx = (await s.ok(bob, 'GET', `/v3/rooms/${encodeURIComponent(roomId)}/context/${encodeURIComponent(root)}?limit=0`)) as {
      event: { unsigned?: Record<string, unknown> };
    };
    assert.equal(threadOf(ctx.event)?.current_user_participated, true, 'bob replied');
  });

  test("an ignored user's replies are left out of the thread summary the ignorer sees", async () => {
    const carol = await s.user('carol');
    await s.ok(carol, 'POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    const dave = await s.user('dave');
    await s.ok(dave, 'POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    const root2 = await s.send(carol, roomId, 'another root');
    const inThread = { 'm.relates_to': { rel_type: 'm.thread', event_id: root2 } };
    const fromBob = await s.send(bob, roomId, 'reply from bob', inThread);
    const fromDave = await s.send(dave, roomId, 'reply from dave', inThread);
    await s.ok(carol, 'PUT', `/v3/user/${encodeURIComponent(carol.userId)}/account_data/m.ignored_user_list`, {
      ignored_users: { [dave.userId]: {} },
    });
    const path = `/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(root2)}`;
    const seenByCarol = threadOf((await s.ok(carol, 'GET', path)) as { unsigned?: Record<string, unknown> });
    assert.equal(seenByCarol?.count, 1);
    assert.equal(seenByCarol?.latest_event.event_id, fromBob);
    const seenByBob = threadOf((await s.ok(bob, 'GET', path)) as { unsigned?: Record<string, unknown> });
    assert.equal(seenByBob?.count, 2, 'others still see every reply');
    assert.equal(seenByBob?.latest_event.event_id, fromDave);
  });

  test('/sync timelines carry the thread summary of the root', async () => {
    const sync = (await s.ok(alice, 'GET', '/v3/sync?timeout=0')) as {
      rooms: { join: Record<string, { timeline: { events: Array<{ event_id: string; unsigned?: Record<string, unknown> }> } }> };
    };
    const events = sync.rooms.join[roomId]?.timeline.events ?? [];
    assert.equal(threadOf(events.find((e) => e.event_id === root))?.count, 2);
  });
});
