import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../../helpers/storage.js';
import { openBefore } from '../../helpers/migrate-before.js';
import { KnexRoomReadStore } from '../../../src/storage/knex/room-read-store.js';

// 0030 keeps a local send's transaction id on the event's row: existing events get theirs from event_txn_ids,
// the sending device's reads find it there, and event_txn_ids loses its index on event_id (it keeps its key,
// which deduplicates a retried send).

const event = (id: string, sender: string, ordering: number) => ({
  event_id: id,
  room_id: '!r:x',
  stream_ordering: ordering,
  depth: ordering,
  type: 'm.room.message',
  sender,
  origin_server_ts: 1,
  json: '{}',
  received_ts: 1,
});

describeStorage('migration 0030 (transaction ids on the events rows)', (h) => {
  test("events sent with a transaction id get it on their row, and only the sending device's reads see it", async () => {
    const { storage, rest } = await openBefore(h, '0030_event_txn_ids_on_events');
    const { knex } = storage;
    await knex('events').insert([event('$sent', '@a:x', 1), event('$other', '@b:x', 2), event('$remote', '@c:y', 3)]);
    await knex('event_txn_ids').insert([
      { user_id: '@a:x', device_id: 'PHONE', txn_id: 't1', room_id: '!r:x', event_id: '$sent', created_ts: 1 },
      { user_id: '@b:x', device_id: 'LAPTOP', txn_id: 't9', room_id: '!r:x', event_id: '$other', created_ts: 1 },
    ]);
    assert.deepEqual(await storage.migrate(), rest);
    const rows: Array<{ event_id: string; txn_device_id: string | null; txn_id: string | null }> = await knex('events')
      .select('event_id', 'txn_device_id', 'txn_id')
      .orderBy('event_id');
    assert.deepEqual(rows, [
      { event_id: '$other', txn_device_id: 'LAPTOP', txn_id: 't9' },
      { event_id: '$remote', txn_device_id: null, txn_id: null },
      { event_id: '$sent', txn_device_id: 'PHONE', txn_id: 't1' },
    ]);
    const ids = ['$sent', '$other', '$remote'];
    const reads = new KnexRoomReadStore(knex, storage.dialect);
    assert.deepEqual(await reads.getTxnIdsForEvents('@a:x', 'PHONE', ids), new Map([['$sent', 't1']]));
    assert.deepEqual(await reads.getTxnIdsForEvents('@a:x', 'LAPTOP', ids), new Map());
    // A retried send is still recognised by its key.
    assert.equal(await storage.rooms.getTxnEvent('@b:x', 'LAPTOP', 't9'), '$other');
    const index =
      h.engine === 'sqlite'
        ? await storage.dialect.selectRows(knex, "select name from sqlite_schema where type = 'index' and name = ?", ['event_txn_ids_event_id_index'])
        : await storage.dialect.selectRows(knex, 'select indexname from pg_indexes where indexname = ?', ['event_txn_ids_event_id_index']);
    assert.deepEqual(index, []);
  });
});
