import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../../helpers/storage.js';
import { toSafeNumber } from '../../../src/storage/knex/index.js';

test('toSafeNumber accepts driver integers and rejects anything that would lose precision', () => {
  assert.equal(toSafeNumber(5, 'x'), 5);
  assert.equal(toSafeNumber(5n, 'x'), 5);
  assert.equal(toSafeNumber('-12', 'x'), -12);
  assert.throws(() => toSafeNumber(2n ** 60n, 'x'), RangeError);
  assert.throws(() => toSafeNumber('9007199254740993', 'x'), RangeError);
  assert.throws(() => toSafeNumber(1.5, 'x'), RangeError);
  assert.throws(() => toSafeNumber(null, 'x'), RangeError);
});

describeStorage('dialect', (h) => {
  async function withTable() {
    const storage = await h.open();
    await storage.knex.schema.createTable('dialect_probe', (t) => {
      t.increments('id');
      t.string('name').notNullable().unique();
      t.integer('n').notNullable();
    });
    return storage;
  }

  test('recognises a unique violation from the engine and nothing else', async () => {
    const { knex, dialect } = await withTable();
    await knex('dialect_probe').insert({ name: 'a', n: 1 });
    const duplicate = await knex('dialect_probe')
      .insert({ name: 'a', n: 2 })
      .then(() => null, (err: unknown) => err);
    assert.ok(duplicate !== null, 'duplicate insert must fail');
    assert.equal(dialect.isUniqueViolation(duplicate), true);

    const notNull = await knex('dialect_probe')
      .insert({ name: 'b', n: null })
      .then(() => null, (err: unknown) => err);
    assert.ok(notNull !== null, 'null insert must fail');
    assert.equal(dialect.isUniqueViolation(notNull), false);
    assert.equal(dialect.isUniqueViolation(new Error('x')), false);
  });

  test('insertReturningId returns each new auto-increment id as a number', async () => {
    const { knex, dialect } = await withTable();
    const first = await dialect.insertReturningId(knex, 'dialect_probe', { name: 'a', n: 1 }, 'id');
    const second = await dialect.insertReturningId(knex, 'dialect_probe', { name: 'b', n: 1 }, 'id');
    assert.equal(typeof first, 'number');
    assert.ok(second > first);
    const row: { name: string } | undefined = await knex('dialect_probe').where({ id: second }).first();
    assert.equal(row?.name, 'b');
  });

  test('upsert updates on conflict, ignores when there is nothing to update, and splits large batches', async () => {
    const { knex, dialect } = await withTable();
    await dialect.upsert(knex, 'dialect_probe', { name: 'a', n: 1 }, ['name']);
    await dialect.upsert(knex, 'dialect_probe', [{ name: 'a', n: 2 }, { name: 'b', n: 3 }], ['name']);
    await dialect.upsert(knex, 'dialect_probe', { name: 'b', n: 99 }, ['name'], []);
    const rows: Array<{ name: string; n: number }> = await knex('dialect_probe').select('name', 'n').orderBy('name');
    assert.deepEqual(rows, [
      { name: 'a', n: 2 },
      { name: 'b', n: 3 },
    ]);

    const many = Array.from({ length: 1200 }, (_, i) => ({ name: `m${i}`, n: i }));
    await dialect.upsert(knex, 'dialect_probe', many, ['name']);
    const counted: { c?: unknown } | undefined = await knex('dialect_probe').count({ c: '*' }).first();
    assert.equal(counted?.c, 1202);
  });

  test('batch size respects both the parameter and the row limits', async () => {
    const { dialect } = await h.open();
    assert.ok(dialect.batchSize(1) <= dialect.maxRowsPerInsert);
    assert.ok(dialect.batchSize(100) * 100 <= dialect.maxBindParams);
    assert.equal(dialect.batchSize(dialect.maxBindParams * 2), 1);
  });
});
