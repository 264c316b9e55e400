import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { createEventIndexer } from '../../../src/rooms/relations/indexer.js';
import { describeStorage, testLogger } from '../../helpers/storage.js';
import { roomHarness } from '../harness.js';

// The indexer follows the room writer's commits: one that indexed its own events and moved the stored position
// over them spares the indexer reading that position back; anything it was not told about it reads and indexes.

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

describeStorage('event indexer', (h) => {
  test('after commits that moved the index over their events, catching up reads nothing and finds them indexed', async () => {
    const storage = await h.open();
    const indexer = createEventIndexer({ storage, logger: testLogger() });
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
    const indexer = createEventIndexer({ storage, logger: testLogger() });
    // This writer does not tell the indexer: as another process's writer would not.
    const rooms = roomHarness(storage);
    const alice = rooms.user('alice');
    const { room_id } = await rooms.rooms.createRoom(alice, { preset: 'public_chat' });
    await indexer.catchUp();
    await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'budget' }, 't1');
    assert.equal(await positionReads(storage.knex, () => indexer.catchUp()), 1);
    const hits = await storage.search.search({ terms: ['budget'], keys: ['content.body'], roomIds: [room_id], orderBy: 'recent', limit: 10 });
    assert.equal(hits.length, 1);
  });

  test('a commit it hears of before it knows where the index stands does not make it skip its first pass', async () => {
    const storage = await h.open();
    const indexer = createEventIndexer({ storage, logger: testLogger() });
    const rooms = roomHarness(storage, { indexAdvanced: (from, to) => indexer.advanced(from, to) });
    const alice = rooms.user('alice');
    // Indexed up to before the room: the room's events are a gap only a pass covers.
    await storage.relations.indexBatch({ name: 'relations_search', position: 0, relations: [], search: [], redacted: [] });
    const { room_id } = await rooms.rooms.createRoom(alice, { preset: 'public_chat', name: 'Planning' });
    await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'timeline' }, 't1');
    assert.equal(await positionReads(storage.knex, () => indexer.catchUp()), 1);
    assert.equal(await storage.relations.getIndexPosition('relations_search'), await storage.rooms.getMaxStreamOrdering());
  });
});
