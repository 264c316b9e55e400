import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../../helpers/storage.js';

describeStorage('LIMIT and OFFSET values', (h) => {
  const probe = async () => {
    const storage = await h.open();
    await storage.knex.schema.createTable('limit_probe', (t) => t.integer('v'));
    await storage.knex('limit_probe').insert([1, 2, 3, 4, 5].map((v) => ({ v })));
    return storage.knex;
  };

  test('limit, offset, first and a limited subquery return the right rows', async () => {
    const knex = await probe();
    const values = (rows: Array<{ v: number }>) => rows.map((r) => r.v);
    assert.deepEqual(values(await knex('limit_probe').select('v').orderBy('v').limit(2).offset(1)), [2, 3]);
    assert.deepEqual(values(await knex('limit_probe').select('v').orderBy('v').offset(3)), [4, 5]);
    assert.deepEqual(await knex('limit_probe').select('v').orderBy('v', 'desc').first(), { v: 5 });
    assert.deepEqual(values(await knex('limit_probe').select('v').orderBy('v').limit(0)), []);
    const smallest = knex('limit_probe').select('v').orderBy('v').limit(2);
    assert.deepEqual(values(await knex('limit_probe').select('v').whereIn('v', smallest).orderBy('v')), [1, 2]);
    // The same statement with other values answers for those values.
    assert.deepEqual(values(await knex('limit_probe').select('v').orderBy('v').limit(3).offset(2)), [3, 4, 5]);
  });

  if (h.engine === 'sqlite') {
    test('SQLite statements carry them in their text, since a bound one is planned again on every run', async () => {
      const knex = await probe();
      const q = knex('limit_probe').select('v').where('v', '>', 1).limit(2).offset(1).toSQL();
      assert.match(q.sql, /limit 2 offset 1$/);
      assert.deepEqual(q.bindings, [1]);
      assert.match(knex('limit_probe').select('v').first().toSQL().sql, /limit 1$/);
      // Offset without a limit: SQLite needs LIMIT -1 in front of it.
      assert.match(knex('limit_probe').select('v').offset(3).toSQL().sql, /limit -1 offset 3$/);
      const sub = knex('limit_probe').select('v').whereIn('v', knex('limit_probe').select('v').limit(4)).toSQL();
      assert.match(sub.sql, /limit 4\)$/);
      assert.deepEqual(sub.bindings, []);
      // A transaction's statements too (knex gives a transaction a client of its own).
      await knex.transaction(async (trx) => {
        assert.match(trx('limit_probe').select('v').limit(3).toSQL().sql, /limit 3$/);
        assert.deepEqual(await trx('limit_probe').select('v').orderBy('v').offset(1).first(), { v: 2 });
      });
    });
  } else {
    test('PostgreSQL binds them: it plans a statement once whatever they are', async () => {
      const knex = await probe();
      const q = knex('limit_probe').select('v').limit(2).offset(1).toSQL();
      assert.deepEqual(q.bindings, [2, 1]);
    });
  }
});
