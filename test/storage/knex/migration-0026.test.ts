import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage, testLogger } from '../../helpers/storage.js';
import { openBefore } from '../../helpers/migrate-before.js';
import { roomEvents, roomHarness } from '../../rooms/harness.js';
import { createSearchIndexer } from '../../../src/rooms/relations/indexer.js';

// 0026 drops the never-read edge tables, and rebuilds SQLite tables that every message writes as WITHOUT
// ROWID tables, and event_search without AUTOINCREMENT: a room written before it must read, search,
// deduplicate client transactions and take new messages after it as before.
const REBUILT = ['event_state', 'event_txn_ids', 'forward_extremities', 'stream_positions', 'event_index_position', 'event_push_actions_staging'];

describeStorage('migration 0026 (SQLite tables without rowid)', (h) => {
  test('a room written before the rebuild reads, searches and deduplicates the same after it', async () => {
    const { storage, rest } = await openBefore(h, '0026_fewer_btrees_per_event');
    // Today's room writer puts a send's transaction id on the event's row (migration 0030): the columns are
    // there while it writes the room, and gone again before the migrations run, as in a database of the time.
    const txnColumns = ['txn_device_id', 'txn_id'];
    for (const c of txnColumns) await storage.knex.raw(`ALTER TABLE events ADD COLUMN ${c} varchar(255)`);

    const before = roomHarness(storage);
    const alice = before.user('alice');
    const { room_id } = await before.rooms.createRoom(alice, { preset: 'public_chat', name: 'Kitchen' });
    const first = await before.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'the quick brown fox' }, 'txn1');
    await before.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'lazy dog' }, 'txn2');
    // Search rows are the search indexer's (it runs apart from the commits).
    const indexSearch = () => createSearchIndexer({ storage, logger: testLogger() }).catchUp();
    await indexSearch();
    const eventsBefore = (await roomEvents(storage, room_id)).map((e) => e.eventId);
    const maxSearchId = async () => Number(((await storage.knex('event_search').max({ m: 'id' }).first()) as { m: unknown }).m);
    const searchIdBefore = await maxSearchId();

    assert.ok((await storage.knex('event_edges').count({ n: '*' }))[0]?.n !== undefined);
    for (const c of txnColumns) await storage.knex.raw(`ALTER TABLE events DROP COLUMN ${c}`);
    assert.deepEqual(await storage.migrate(), rest);
    assert.equal(await storage.knex.schema.hasTable('event_edges'), false);
    assert.equal(await storage.knex.schema.hasTable('event_auth_edges'), false);
    const eventIndexes: Array<{ name: string }> =
      h.engine === 'sqlite'
        ? await storage.knex('sqlite_schema').where({ type: 'index', tbl_name: 'events' }).select('name')
        : (await storage.knex.raw("select indexname as name from pg_indexes where tablename = 'events'")).rows;
    const left = eventIndexes.map((r) => r.name);
    assert.ok(left.includes('events_room_id_stream_ordering_index'), left.join());
    for (const gone of ['events_room_id_depth_stream_ordering_index', 'events_room_id_type_state_key_index']) assert.ok(!left.includes(gone), gone);

    if (h.engine === 'sqlite') {
      const schema: Array<{ name: string; sql: string }> = await storage.knex('sqlite_schema').where({ type: 'table' }).select('name', 'sql');
      const sqlOf = new Map(schema.map((r) => [r.name, r.sql]));
      for (const t of REBUILT) assert.match(sqlOf.get(t) ?? '', /WITHOUT ROWID$/, t);
      assert.doesNotMatch(sqlOf.get('event_search') ?? '', /autoincrement/i);
      // Each rebuilt table's indexes and event_search's triggers came back.
      const others: Array<{ name: string }> = await storage.knex('sqlite_schema').whereIn('type', ['index', 'trigger']).whereNotNull('sql').select('name');
      const names = new Set(others.map((r) => r.name));
      // (event_push_actions_staging's index on stream_ordering is gone later, with 0027's new key, and
      // event_txn_ids' index on event_id with 0030.)
      for (const n of ['event_state_state_group_after_index', 'event_state_state_group_before_index', 'event_search_room_id_stream_ordering_index', 'event_search_fts_insert', 'event_search_fts_delete', 'event_search_fts_update']) {
        assert.ok(names.has(n), `${n} is missing after the rebuild`);
      }
    }

    const after = roomHarness(storage, { signingKey: before.signingKey });
    assert.deepEqual((await roomEvents(storage, room_id)).map((e) => e.eventId), eventsBefore);
    // The same client transaction is still recognised; a new one makes a new event that builds on the old ones.
    assert.equal((await after.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'again' }, 'txn1')).event_id, first.event_id);
    const next = await after.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'a quick reply' }, 'txn3');
    const events = await roomEvents(storage, room_id);
    assert.equal(events.length, eventsBefore.length + 1);
    assert.deepEqual(events.at(-1)?.pdu.prev_events, [eventsBefore.at(-1)]);
    assert.equal(events.at(-1)?.eventId, next.event_id);
    await indexSearch();
    assert.ok((await maxSearchId()) > searchIdBefore);

    const found = await storage.search.search({ roomIds: [room_id], terms: ['quick'], keys: ['content.body'], orderBy: 'recent', limit: 10 });
    assert.deepEqual(found.map((r) => r.eventId), [next.event_id, first.event_id]);
    assert.deepEqual((await storage.search.search({ roomIds: [room_id], terms: ['dog'], keys: ['content.body'], orderBy: 'recent', limit: 10 })).length, 1);
    await storage.close();
  });
});
