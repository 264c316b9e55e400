import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INDEXER_NAME } from '../../src/rooms/relations/indexer.js';
import { describeStorage } from '../helpers/storage.js';
import { roomHarness } from './harness.js';

// The relation and search rows of a group commit's events land in its own transaction, and the index
// position moves over them when nothing before them is left unindexed.

describeStorage('rows derived in the group commit', (h) => {
  test('a reaction and a message are in the indexes when their sends return, and the position moves over them', async () => {
    const storage = await h.open();
    const rooms = roomHarness(storage);
    const alice = rooms.user('alice');
    const { room_id } = await rooms.rooms.createRoom(alice, { preset: 'public_chat' });
    // The indexer's pass so far (as at start): everything up to here is indexed.
    const upTo = await storage.rooms.getMaxStreamOrdering();
    await storage.relations.indexBatch({ name: INDEXER_NAME, position: upTo, relations: [], search: [], redacted: [] });

    const { event_id: parent } = await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'quarterly figures' }, 't1');
    const { event_id: reaction } = await rooms.rooms.sendMessageEvent(alice, room_id, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: parent, key: '👍' } }, 't2');

    const children = await storage.relations.getChildren(parent, { limit: 10, dir: 'f' });
    assert.deepEqual(
      children.map((c) => [c.eventId, c.aggregationKey]),
      [[reaction, '👍']],
    );
    const hits = await storage.search.search({ terms: ['quarterly'], keys: ['content.body'], roomIds: [room_id], orderBy: 'recent', limit: 10 });
    assert.deepEqual(
      hits.map((hit) => hit.eventId),
      [parent],
    );
    assert.equal(await storage.relations.getIndexPosition(INDEXER_NAME), await storage.rooms.getMaxStreamOrdering());
  });

  test('the position stays behind a gap the indexer has not covered yet', async () => {
    const storage = await h.open();
    const rooms = roomHarness(storage);
    const alice = rooms.user('alice');
    const { room_id } = await rooms.rooms.createRoom(alice, { preset: 'public_chat' });
    // Indexed only up to before the room's events: they are the gap.
    await storage.relations.indexBatch({ name: INDEXER_NAME, position: 0, relations: [], search: [], redacted: [] });
    const { event_id } = await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'minutes' }, 't1');
    assert.equal(await storage.relations.getIndexPosition(INDEXER_NAME), 0);
    const hits = await storage.search.search({ terms: ['minutes'], keys: ['content.body'], roomIds: [room_id], orderBy: 'recent', limit: 10 });
    assert.deepEqual(
      hits.map((hit) => hit.eventId),
      [event_id],
      'the rows are written all the same',
    );
  });
});
