import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { createRelationsIndexer, createSearchIndexer, RELATIONS_INDEX, SEARCH_INDEX, SEARCH_INDEX_DELAY_MS } from '../../../src/rooms/relations/indexer.js';
import type { StreamNotice } from '../../../src/types/notices.js';
import { describeStorage, testLogger } from '../../helpers/storage.js';
import { roomHarness } from '../harness.js';

// The relations indexer follows the room writer's commits: one that indexed its own events and moved the stored
// position over them spares the indexer reading that position back; anything it was not told about it reads and
// indexes. The search indexer indexes apart from the commits, a while after them, every commit of that while in
// one run.

/** How many times `fn` reads the stored index position. */
async function positionReads(knex: Knex, fn: () => Promise<void>): Promise<number> {
  let reads = 0;
  const note = (q: { sql: string }) => {
    if (/^select .*event_index_position/i.test(q.sql)) reads++;
  };
  knex.on('query', note);
  try {
    await fn();
  } finally {
    knex.off('query', note);
  }
  return reads;
}

describeStorage('event indexers', (h) => {
  test('after commits that moved the index over their events, catching up reads nothing and finds them indexed', async () => {
    const storage = await h.open();
    const indexer = createRelationsIndexer({ storage, logger: testLogger() });
    const rooms = roomHarness(storage, { indexAdvanced: (from, to) => indexer.advanced(from, to) });
    const alice = rooms.user('alice');
    const { room_id } = await rooms.rooms.createRoom(alice, { preset: 'public_chat' });
    await indexer.catchUp();
    const { event_id } = await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'agenda' }, 't1');
    await rooms.rooms.sendMessageEvent(alice, room_id, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id, key: 'x' } }, 't2');
    assert.equal(await positionReads(storage.knex, () => indexer.catchUp()), 0);
    assert.equal((await storage.relations.getChildren(event_id, { limit: 10, dir: 'f' })).length, 1);
  });

  test('events it was not told about are read and indexed', async () => {
    const storage = await h.open();
    const indexer = createRelationsIndexer({ storage, logger: testLogger() });
    // This writer does not tell the indexer: as another process's writer would not.
    const rooms = roomHarness(storage);
    const alice = rooms.user('alice');
    const { room_id } = await rooms.rooms.createRoom(alice, { preset: 'public_chat' });
    await indexer.catchUp();
    const { event_id } = await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'budget' }, 't1');
    await rooms.rooms.sendMessageEvent(alice, room_id, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id, key: 'x' } }, 't2');
    assert.equal(await positionReads(storage.knex, () => indexer.catchUp()), 1);
    assert.equal((await storage.relations.getChildren(event_id, { limit: 10, dir: 'f' })).length, 1);
  });

  test('a commit it hears of before it knows where the index stands does not make it skip its first pass', async () => {
    const storage = await h.open();
    const indexer = createRelationsIndexer({ storage, logger: testLogger() });
    const rooms = roomHarness(storage, { indexAdvanced: (from, to) => indexer.advanced(from, to) });
    const alice = rooms.user('alice');
    // Indexed up to before the room: the room's events are a gap only a pass covers.
    await storage.relations.indexBatch({ name: RELATIONS_INDEX, position: 0, relations: [], search: [], redacted: [] });
    const { room_id } = await rooms.rooms.createRoom(alice, { preset: 'public_chat', name: 'Planning' });
    await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'timeline' }, 't1');
    assert.equal(await positionReads(storage.knex, () => indexer.catchUp()), 1);
    assert.equal(await storage.relations.getIndexPosition(RELATIONS_INDEX), await storage.rooms.getMaxStreamOrdering());
  });

  test('messages are searchable once the search indexer caught up, not through the commits that stored them', async () => {
    const storage = await h.open();
    const indexer = createSearchIndexer({ storage, logger: testLogger() });
    const rooms = roomHarness(storage);
    const alice = rooms.user('alice');
    const { room_id } = await rooms.rooms.createRoom(alice, { preset: 'public_chat' });
    const { event_id } = await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'invoice' }, 't1');
    const search = () => storage.search.search({ terms: ['invoice'], keys: ['content.body'], roomIds: [room_id], orderBy: 'recent', limit: 10 });
    assert.deepEqual(await search(), []);
    await indexer.catchUp();
    assert.deepEqual((await search()).map((hit) => hit.eventId), [event_id]);
    assert.equal(await storage.relations.getIndexPosition(SEARCH_INDEX), await storage.rooms.getMaxStreamOrdering());
    // A redaction takes the message out of the index at once (its commit deletes the rows of both indexes).
    await rooms.rooms.redact(alice, room_id, event_id, undefined, 't2');
    assert.deepEqual(await search(), []);
    await indexer.catchUp();
    assert.deepEqual(await search(), []);
  });

  test('following the commits, the search indexer runs once a while after the first it hears of, for all of them', async () => {
    const storage = await h.open();
    const indexer = createSearchIndexer({ storage, logger: testLogger() });
    const rooms = roomHarness(storage);
    const alice = rooms.user('alice');
    const { room_id } = await rooms.rooms.createRoom(alice, { preset: 'public_chat' });
    const handlers = new Set<(n: StreamNotice) => void>();
    const stop = indexer.follow({
      subscribe(handler) {
        handlers.add(handler);
        return () => handlers.delete(handler);
      },
    });
    await indexer.catchUp(); // the pass it starts with
    // A run reads the events after the stored position, in batches of 500.
    let runs = 0;
    const countRuns = (q: { sql: string }) => {
      if (/^select .* from [`"]events[`"] where [`"]stream_ordering[`"] > /i.test(q.sql)) runs++;
    };
    storage.knex.on('query', countRuns);
    try {
      for (let i = 0; i < 5; i++) {
        await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: `note ${i}` }, `t${i}`);
      }
      // The five commits' notices, heard one after another.
      const started = Date.now();
      for (const n of rooms.notices.splice(0)) for (const handler of handlers) handler(n);
      assert.equal(runs, 0, 'no run before the delay');
      const search = () => storage.search.search({ terms: ['note'], keys: ['content.body'], roomIds: [room_id], orderBy: 'recent', limit: 10 });
      while ((await search()).length < 5 && Date.now() - started < SEARCH_INDEX_DELAY_MS + 5_000) await new Promise((r) => setTimeout(r, 20));
      assert.equal((await search()).length, 5);
      assert.ok(Date.now() - started >= SEARCH_INDEX_DELAY_MS - 20, 'indexed only after the delay');
      assert.equal(runs, 1, 'one run for the five commits');
    } finally {
      storage.knex.off('query', countRuns);
      await stop();
    }
  });
});
