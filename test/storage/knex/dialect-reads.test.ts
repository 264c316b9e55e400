import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../../helpers/storage.js';

// Reads written as SQL (Dialect.selectRows): the rows of the statement with its `?` bound in order, on the
// connection of the transaction it is given, and told to knex's 'query' listeners as knex's own reads are.

const SQL = 'select event_id from event_txn_ids where user_id = ? and device_id = ? and txn_id = ? limit 1';
const row = (txn: string, event: string) => ({ user_id: '@a:x', device_id: 'D', txn_id: txn, room_id: '!r:x', event_id: event, created_ts: 1 });

describeStorage('dialect reads', (h) => {
  test('selectRows answers the rows of its statement, none when nothing matches', async () => {
    const { knex, dialect } = await h.open();
    await knex('event_txn_ids').insert([row('t1', '$one'), row('t2', '$two')]);
    assert.deepEqual(await dialect.selectRows(knex, SQL, ['@a:x', 'D', 't2']), [{ event_id: '$two' }]);
    assert.deepEqual(await dialect.selectRows(knex, SQL, ['@a:x', 'D', 't3']), []);
    assert.deepEqual(await dialect.selectRows(knex, SQL, ['@b:x', 'D', 't1']), []);
  });

  test("inside a transaction selectRows reads on the transaction's connection: its uncommitted rows, no wait for itself", async () => {
    const { knex, dialect } = await h.open();
    const seen = await knex.transaction(async (trx) => {
      await trx('event_txn_ids').insert(row('t1', '$mine'));
      return dialect.selectRows(trx, SQL, ['@a:x', 'D', 't1']);
    });
    assert.deepEqual(seen, [{ event_id: '$mine' }]);
  });

  test("selectRows is told to knex's query listeners with its statement and parameters", async () => {
    const { knex, dialect } = await h.open();
    const told: Array<{ sql: string; bindings: unknown }> = [];
    const note = (q: { sql: string; bindings: unknown }) => told.push({ sql: q.sql, bindings: q.bindings });
    knex.on('query', note);
    try {
      await dialect.selectRows(knex, SQL, ['@a:x', 'D', 't1']);
    } finally {
      knex.off('query', note);
    }
    assert.equal(told.length, 1);
    // PostgreSQL's driver gets (and knex tells) its own $1, $2, ... for the `?`.
    assert.equal(told[0]?.sql.replace(/\$\d+/g, '?'), SQL);
    assert.deepEqual(told[0]?.bindings, ['@a:x', 'D', 't1']);
  });
});
