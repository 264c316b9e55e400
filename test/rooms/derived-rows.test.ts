import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RELATIONS_INDEX } from '../../src/rooms/relations/indexer.js';
import { describeStorage } from '../helpers/storage.js';
import { roomHarness } from './harness.js';

// The relation rows of a group commit's events land in its own transaction, and the relations index's position
// moves over them when nothing before them is left unindexed. Search rows are the search indexer's
// (relations/indexer.ts), not the commit's.

describeStorage('rows derived in the group commit', (h) => {
  test('a reaction is in the relations index when its send returns, the position moves over it, and the message waits for the search indexer', async () => {
    const storage = await h.open();
    const rooms = roomHarness(storage);
    const alice = rooms.user('alice');
    const { room_id } = await rooms.rooms.createRoom(alice, { preset: 'public_chat' });
    // The indexer's pass so far (as at start): everything up to here is indexed.
    const upTo = await storage.rooms.getMaxStreamOrdering();
    await storage.relations.indexBatch({ name: RELATIONS_INDEX, position: upTo, relations: [], search: [], redacted: [] });

    const { event_id: parent } = await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'quarterly figures' }, 't1');
    const { event_id: reaction } = await rooms.rooms.sendMessageEvent(alice, room_id, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: parent, key: '👍' } }, 't2');

    const children = await storage.relations.getChildren(parent, { limit: 10, dir: 'f' });
    assert.deepEqual(
      children.map((c) => [c.eventId, c.aggregationKey]),
      [[reaction, '👍']],
    );
    const hits = await storage.search.search({ terms: ['quarterly'], keys: ['content.body'], roomIds: [room_id], orderBy: 'recent', limit: 10 });
    assert.deepEqual(hits, []);
    assert.equal(await storage.relations.getIndexPosition(RELATIONS_INDEX), await storage.rooms.getMaxStreamOrdering());
  });

  test('the position stays behind a gap the indexer has not covered yet', async () => {
    const storage = await h.open();
    const rooms = roomHarness(storage);
    const alice = rooms.user('alice');
    const { room_id } = await rooms.rooms.createRoom(alice, { preset: 'public_chat' });
    // Indexed only up to before the room's events: they are the gap.
    await storage.relations.indexBatch({ name: RELATIONS_INDEX, position: 0, relations: [], search: [], redacted: [] });
    const { event_id } = await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'minutes' }, 't1');
    const { event_id: reaction } = await rooms.rooms.sendMessageEvent(alice, room_id, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id, key: 'x' } }, 't2');
    assert.equal(await storage.relations.getIndexPosition(RELATIONS_INDEX), 0);
    const children = await storage.relations.getChildren(event_id, { limit: 10, dir: 'f' });
    assert.deepEqual(
      children.map((c) => c.eventId),
      [reaction],
      'the rows are written all the same',
    );
  });
});
