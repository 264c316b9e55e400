import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../../helpers/storage.js';
import { openBefore } from '../../helpers/migrate-before.js';

// 0029 narrows event_state's index on state_group_after to the rows whose state changed (after <> before): the
// rows stay, and the state-group GC's look-up of a group by state_group_after is answered from the index.

describeStorage('migration 0029 (state_group_after indexed only where the state changed)', (h) => {
  test('rows are kept and a look-up by a changed state after is answered from the partial index', async () => {
    const { storage, rest } = await openBefore(h, '0029_state_after_partial_index');
    const { knex } = storage;
    await knex('event_state').insert([
      { event_id: '$state', state_group_before: 1, state_group_after: 2 },
      { event_id: '$message', state_group_before: 2, state_group_after: 2 },
    ]);
    assert.deepEqual(await storage.migrate(), rest);
    assert.equal(Number((await knex('event_state').count({ n: '*' }).first())?.n), 2);
    const lookUp = 'select event_id from event_state where state_group_after = ? and state_group_after <> state_group_before';
    assert.deepEqual(await storage.dialect.selectRows(knex, lookUp, [2]), [{ event_id: '$state' }]);
    // The plan names the index (SQLite's EXPLAIN QUERY PLAN; PostgreSQL's EXPLAIN with sequential scans off, as
    // its planner prefers them on tiny tables).
    const plan =
      h.engine === 'sqlite'
        ? JSON.stringify(await knex.raw(`explain query plan ${lookUp}`, [2]))
        : JSON.stringify(
            await knex.transaction(async (trx) => {
              await trx.raw('set local enable_seqscan = off');
              return trx.raw(`explain ${lookUp}`, [2]);
            }),
          );
    assert.match(plan, /event_state_state_group_after_index/);
    const [definition] =
      h.engine === 'sqlite'
        ? await storage.dialect.selectRows(knex, "select sql as d from sqlite_schema where type = 'index' and name = ?", ['event_state_state_group_after_index'])
        : await storage.dialect.selectRows(knex, 'select indexdef as d from pg_indexes where indexname = ?', ['event_state_state_group_after_index']);
    assert.match(String(definition?.['d']), /WHERE \(?state_group_after <> state_group_before\)?/i);
  });
});
