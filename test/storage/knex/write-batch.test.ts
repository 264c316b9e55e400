import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { WriteBatch } from '../../../src/storage/knex/write-batch.js';
import { countRows, describeStorage } from '../../helpers/storage.js';

// The writes a room-writer transaction sends together before its commit: every row and statement lands, in one
// statement on PostgreSQL (one round trip), split only to stay under the bind-parameter limit; a failure in any
// of them fails the transaction whole.

/** Counts the statements `fn` sends; only those touching `table` when given. */
async function statementsOf(knex: Knex, fn: () => Promise<void>): Promise<string[]> {
  const sent: string[] = [];
  const note = (q: { sql: string }) => sent.push(q.sql);
  knex.on('query', note);
  try {
    await fn();
  } finally {
    knex.off('query', note);
  }
  return sent.filter((sql) => !/^(BEGIN|COMMIT|ROLLBACK)/i.test(sql));
}

const edge = (i: number) => ({ event_id: `$e${i}`, prev_event_id: `$p${i}`, room_id: '!r:x' });

/** Two tables of the tests' own, shaped like rows the room writer sends: three and two columns. */
async function scratchTables(knex: Knex): Promise<void> {
  await knex.schema.createTable('wb_edges', (t) => {
    t.string('event_id').notNullable();
    t.string('prev_event_id').notNullable();
    t.string('room_id').notNullable();
    t.primary(['event_id', 'prev_event_id']);
  });
  await knex.schema.createTable('wb_refs', (t) => {
    t.string('event_id').notNullable();
    t.string('auth_event_id').notNullable();
    t.primary(['event_id', 'auth_event_id']);
  });
}

describeStorage('write batch', (h) => {
  test('rows, statements and a delete that spares the rows inserted beside it all land', async () => {
    const storage = await h.open();
    const { knex, dialect } = storage;
    await scratchTables(knex);
    await knex('forward_extremities').insert([
      { room_id: '!r:x', event_id: '$old' },
      { room_id: '!r:x', event_id: '$kept' },
    ]);
    const sent = await statementsOf(knex, () =>
      knex.transaction(async (trx) => {
        const writes = new WriteBatch(dialect);
        writes.rows('wb_edges', [edge(1), edge(2)]);
        writes.rows('wb_refs', [{ event_id: '$e1', auth_event_id: '$create' }]);
        writes.rows('wb_edges', [edge(3)]);
        writes.add(trx('forward_extremities').where('room_id', '!r:x').whereNotIn('event_id', ['$kept', '$new']).del());
        writes.add(
          trx('forward_extremities')
            .insert([
              { room_id: '!r:x', event_id: '$kept' },
              { room_id: '!r:x', event_id: '$new' },
            ])
            .onConflict(['room_id', 'event_id'])
            .ignore(),
        );
        await writes.flush(trx);
        // Flushed and forgotten: a second flush sends nothing.
        await writes.flush(trx);
      }),
    );
    assert.equal(sent.length, dialect.engine === 'postgres' ? 1 : 4);
    assert.equal(await countRows(knex, 'wb_edges'), 3);
    assert.equal(await countRows(knex, 'wb_refs'), 1);
    const tips: Array<{ event_id: string }> = await knex('forward_extremities').select('event_id').orderBy('event_id');
    assert.deepEqual(
      tips.map((r) => r.event_id),
      ['$kept', '$new'],
    );
  });

  test('a batch over the bind-parameter budget is split, and every row still lands', async () => {
    const storage = await h.open();
    const { knex, dialect } = storage;
    await scratchTables(knex);
    // 24,000 + 24,000 parameters: more than one combined statement takes (30,000).
    const edges = 8_000;
    const authEdges = 12_000;
    const sent = await statementsOf(knex, () =>
      knex.transaction(async (trx) => {
        const writes = new WriteBatch(dialect);
        writes.rows(
          'wb_edges',
          Array.from({ length: edges }, (_, i) => edge(i)),
        );
        writes.rows(
          'wb_refs',
          Array.from({ length: authEdges }, (_, i) => ({ event_id: `$e${i}`, auth_event_id: '$create' })),
        );
        await writes.flush(trx);
      }),
    );
    assert.equal(await countRows(knex, 'wb_edges'), edges);
    assert.equal(await countRows(knex, 'wb_refs'), authEdges);
    const inserts = Math.ceil(edges / dialect.batchSize(3)) + Math.ceil(authEdges / dialect.batchSize(2));
    assert.equal(sent.length, dialect.engine === 'postgres' ? 2 : inserts);
  });

  test('a statement with its own WITH is sent on its own, between the others', async () => {
    const storage = await h.open();
    const { knex, dialect } = storage;
    await scratchTables(knex);
    await knex('wb_edges').insert(edge(0));
    const sent = await statementsOf(knex, () =>
      knex.transaction(async (trx) => {
        const writes = new WriteBatch(dialect);
        writes.rows('wb_refs', [{ event_id: '$e1', auth_event_id: '$create' }]);
        // PostgreSQL refuses this data-modifying WITH nested in another; SQLite has no data-modifying WITH.
        const moved = ['$moved', '$p0', '!r:x'];
        writes.add(
          dialect.engine === 'postgres'
            ? trx.raw('WITH gone AS (DELETE FROM wb_edges WHERE event_id = ? RETURNING event_id) INSERT INTO wb_edges (event_id, prev_event_id, room_id) SELECT ?, ?, ? FROM gone', ['$e0', ...moved])
            : trx.raw('WITH src(a, b, c) AS (VALUES (?, ?, ?)) INSERT INTO wb_edges (event_id, prev_event_id, room_id) SELECT a, b, c FROM src', moved),
        );
        if (dialect.engine !== 'postgres') writes.add(trx('wb_edges').where('event_id', '$e0').del());
        writes.add(trx('wb_edges').insert(edge(2)));
        await writes.flush(trx);
      }),
    );
    assert.equal(sent.length, dialect.engine === 'postgres' ? 3 : 4);
    const ids: Array<{ event_id: string }> = await knex('wb_edges').select('event_id').orderBy('event_id');
    assert.deepEqual(
      ids.map((r) => r.event_id),
      ['$e2', '$moved'],
    );
    assert.equal(await countRows(knex, 'wb_refs'), 1);
  });

  test('rows keep their values (text, numbers, booleans, null), skip stored keys when asked, and survive a lone surrogate', async () => {
    const storage = await h.open();
    const { knex, dialect } = storage;
    const action = (user: string, ordering: number, threadId: string, highlight: boolean) => ({
      user_id: user,
      event_id: `$e${ordering}`,
      room_id: '!r:x',
      stream_ordering: ordering,
      thread_id: threadId,
      notify: true,
      highlight,
      actions_json: '["notify"]',
      ts: 1_700_000_000_123,
    });
    await knex('event_push_actions').insert(action('@a:x', 1, 'main', false));
    await knex.transaction(async (trx) => {
      const writes = new WriteBatch(dialect);
      const key = ['user_id', 'stream_ordering'];
      // The first collides with the stored row, the third with the second: both are skipped.
      writes.rows('event_push_actions', [action('@a:x', 1, '$t', true), action('@b:x', 2, '$thread', true)], key);
      writes.rows('event_push_actions', [action('@b:x', 2, 'main', false)], key);
      writes.rows('event_relations', [
        { event_id: '$r1', relates_to_id: '$e1', rel_type: 'm.annotation', room_id: '!r:x', sender: '@a:x', type: 'm.reaction', aggregation_key: 'bad \ud800 key', stream_ordering: 3, origin_server_ts: 5, is_state: false },
        { event_id: '$r2', relates_to_id: '$e1', rel_type: 'm.annotation', room_id: '!r:x', sender: '@a:x', type: 'm.reaction', aggregation_key: '👍', stream_ordering: 4, origin_server_ts: 6, is_state: false },
        { event_id: '$r3', relates_to_id: '$e1', rel_type: 'm.thread', room_id: '!r:x', sender: '@a:x', type: 'm.room.message', aggregation_key: null, stream_ordering: 5, origin_server_ts: 7, is_state: true },
      ]);
      await writes.flush(trx);
    });
    const rows: Array<Record<string, unknown>> = await knex('event_push_actions').select('*').orderBy('stream_ordering');
    assert.deepEqual(
      rows.map((r) => [r.user_id, Number(r.stream_ordering), r.thread_id, Boolean(r.highlight), Number(r.ts)]),
      [
        ['@a:x', 1, 'main', false, 1_700_000_000_123],
        ['@b:x', 2, '$thread', true, 1_700_000_000_123],
      ],
    );
    const relations: Array<{ aggregation_key: string | null; is_state: unknown }> = await knex('event_relations').select('aggregation_key', 'is_state').orderBy('stream_ordering');
    assert.deepEqual(
      relations.slice(1).map((r) => [r.aggregation_key, Boolean(r.is_state)]),
      [
        ['👍', false],
        [null, true],
      ],
    );
    // Stored with replacement characters (how many is the engine's affair), not refused.
    const odd = relations[0]?.aggregation_key ?? '';
    assert.match(odd, /^bad \ufffd+ key$/);
  });

  test('a value left undefined is stored as NULL, flushed in a transaction or as one', async () => {
    const storage = await h.open();
    const { knex, dialect } = storage;
    await knex.schema.createTable('wb_loose', (t) => {
      t.string('id').primary();
      t.string('note').nullable();
    });
    const writes = new WriteBatch(dialect);
    writes.rows('wb_loose', [{ id: 'a', note: undefined }, { id: 'b', note: 'kept' }]);
    assert.equal(await writes.flushAsOne(knex), true);
    await knex.transaction(async (trx) => {
      const more = new WriteBatch(dialect);
      more.rows('wb_loose', [{ id: 'c', note: undefined }]);
      await more.flush(trx);
    });
    const rows: Array<{ id: string; note: string | null }> = await knex('wb_loose').select('id', 'note').orderBy('id');
    assert.deepEqual(
      rows.map((r) => [r.id, r.note]),
      [
        ['a', null],
        ['b', 'kept'],
        ['c', null],
      ],
    );
  });

  test('one failing write rolls back the others with the transaction', async () => {
    const storage = await h.open();
    const { knex, dialect } = storage;
    await scratchTables(knex);
    await knex('wb_refs').insert({ event_id: '$dup', auth_event_id: '$create' });
    await assert.rejects(
      knex.transaction(async (trx) => {
        await trx('wb_edges').insert(edge(0));
        const writes = new WriteBatch(dialect);
        writes.rows('wb_edges', [edge(1)]);
        // The primary key (event_id, auth_event_id) refuses a second copy.
        writes.rows('wb_refs', [{ event_id: '$dup', auth_event_id: '$create' }]);
        await writes.flush(trx);
      }),
    );
    assert.equal(await countRows(knex, 'wb_edges'), 0);
    assert.equal(await countRows(knex, 'wb_refs'), 1);
  });

  test('flushed as one, outside a transaction: everything lands, or on a failure nothing, and the database goes on', async () => {
    const storage = await h.open();
    const { knex, dialect } = storage;
    await scratchTables(knex);
    await knex('wb_refs').insert({ event_id: '$dup', auth_event_id: '$create' });
    const batch = (auth: string) => {
      const writes = new WriteBatch(dialect);
      writes.rows('wb_edges', [edge(1), edge(2)]);
      writes.add(knex('forward_extremities').insert({ room_id: '!r:x', event_id: '$tip' }));
      writes.rows('wb_refs', [{ event_id: auth, auth_event_id: '$create' }]);
      return writes;
    };
    // The last write fails on the primary key: the ones before it are undone.
    await assert.rejects(batch('$dup').flushAsOne(knex), (err: unknown) => dialect.isUniqueViolation(err));
    assert.equal(await countRows(knex, 'wb_edges'), 0);
    assert.equal(await countRows(knex, 'forward_extremities'), 0);
    // No transaction was left open: other writes commit, and the same batch without the duplicate lands whole.
    await knex.transaction(async (trx) => trx('wb_edges').insert(edge(9)));
    assert.equal(await batch('$fresh').flushAsOne(knex), true);
    assert.equal(await countRows(knex, 'wb_edges'), 3);
    assert.equal(await countRows(knex, 'forward_extremities'), 1);
    assert.equal(await countRows(knex, 'wb_refs'), 2);
  });
});
