import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../../helpers/storage.js';
import { openBefore } from '../../helpers/migrate-before.js';
import { migrations } from '../../../migrations/index.js';
import { runMigrations } from '../../../src/storage/knex/migrate.js';
import { testLogger } from '../../helpers/storage.js';

// 0027 keys the staged push actions by (stream_ordering, user_id) and drops their index on stream_ordering:
// rows staged before it are kept. (0031 later moves them into the main table and stages an event per row.)

const staged = (streamOrdering: number, userId: string, roomId = '!r:x') => ({
  room_id: roomId,
  stream_ordering: streamOrdering,
  user_id: userId,
  event_id: `$e${streamOrdering}`,
  thread_id: 'main',
  notify: true,
  highlight: streamOrdering === 2,
  actions_json: '["notify"]',
  ts: 1_700_000_000_000 + streamOrdering,
});

describeStorage('migration 0027 (staged push actions keyed by position)', (h) => {
  test('rows staged before it are read, counted and moved after it; the table has its new key and no other index', async () => {
    const { storage, rest } = await openBefore(h, '0027_push_actions_staging_by_position');
    const users = ['@b:x', '@c:x', '@d:x'];
    await storage.knex('event_push_actions_staging').insert([...users.map((u) => staged(1, u)), ...users.map((u) => staged(2, u)), staged(3, '@c:x', '!s:x')]);

    const { push, knex } = storage;
    // 0027 alone first: the table's shape, and the rows it kept.
    const through0027 = migrations.findIndex((m) => m.name === '0027_push_actions_staging_by_position') + 1;
    await runMigrations(knex, testLogger(), migrations.slice(0, through0027));
    const kept: Array<{ stream_ordering: unknown; user_id: string }> = await knex('event_push_actions_staging').select('stream_ordering', 'user_id').orderBy(['stream_ordering', 'user_id']);
    assert.deepEqual(kept.map((r) => `${Number(r.stream_ordering)} ${r.user_id}`), ['1 @b:x', '1 @c:x', '1 @d:x', '2 @b:x', '2 @c:x', '2 @d:x', '3 @c:x']);
    if (h.engine === 'sqlite') {
      const schema: Array<{ type: string; name: string; sql: string | null }> = await knex('sqlite_schema').where({ tbl_name: 'event_push_actions_staging' }).select('type', 'name', 'sql');
      const table = schema.find((r) => r.type === 'table')?.sql ?? '';
      assert.match(table, /PRIMARY KEY \(stream_ordering, user_id\)/);
      assert.match(table, /WITHOUT ROWID$/);
      assert.deepEqual(schema.filter((r) => r.type === 'index' && r.sql !== null), []);
    } else {
      const indexes: Array<{ indexname: string; indexdef: string }> = (await knex.raw("select indexname, indexdef from pg_indexes where tablename = 'event_push_actions_staging'")).rows;
      assert.equal(indexes.length, 1, JSON.stringify(indexes));
      assert.match(indexes[0]?.indexdef ?? '', /\(stream_ordering, user_id\)/);
    }
    assert.deepEqual(await storage.migrate(), rest.slice(1));

    // The staged rows are read as before the migrations, each once.
    assert.deepEqual([...(await push.countUnreadPushActions('@c:x', '!r:x', { after: 0, threads: new Map() }))], [['main', { notify: 2, highlight: 1 }]]);
    assert.deepEqual([...(await push.countUnreadPushActions('@c:x', '!r:x', { after: 1, threads: new Map() }))], [['main', { notify: 1, highlight: 1 }]]);
    assert.deepEqual((await push.getRoomsWithPushActions('@c:x', 0)).sort(), ['!r:x', '!s:x']);
    assert.deepEqual((await push.getNotifications('@c:x', { before: null, limit: 10, onlyHighlight: false })).map((r) => r.eventId), ['$e3', '$e2', '$e1']);
    // A row staged again for the same event and member is ignored; then everything moves, whole events first.
    await push.addPushActions(
      ['@b:x', '@c:x', '@d:x', '@e:x', '@f:x', '@g:x', '@h:x', '@i:x'].map((userId) => ({
        userId,
        eventId: '$e4',
        roomId: '!r:x',
        streamOrdering: 4,
        threadId: 'main',
        notify: true,
        highlight: false,
        actions: ['notify'],
        ts: 1,
      })),
    );
    // 0031 moved the rows staged before it; SQLite stages the new event (PostgreSQL never stages) and moves it.
    assert.equal(await push.rotatePushActions(100), h.engine === 'sqlite' ? 8 : 0);
    assert.equal(Number((await knex('event_push_actions_staging').count({ n: '*' }))[0]?.n), 0);
    assert.equal(Number((await knex('event_push_actions').count({ n: '*' }))[0]?.n), 15);
    assert.deepEqual([...(await push.countUnreadPushActions('@c:x', '!r:x', { after: 0, threads: new Map() }))], [['main', { notify: 3, highlight: 1 }]]);
    await storage.close();
  });
});
