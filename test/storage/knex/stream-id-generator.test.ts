import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeStorage } from '../../helpers/storage.js';
import { LocalStreamIdGenerator, createStreamIdGenerator } from '../../../src/storage/knex/index.js';
import type { KnexStorage } from '../../../src/storage/knex/index.js';

describe('stream id generator (in memory)', () => {
  test('hands out strictly increasing ids above the seed', () => {
    const gen = new LocalStreamIdGenerator(10, 'test');
    const a = gen.getNext();
    const batch = gen.getNextMany(3);
    const b = gen.getNext();
    assert.deepEqual([a.id, ...batch.ids, b.id], [11, 12, 13, 14, 15]);
    assert.deepEqual(gen.getNextMany(0).ids, []);
  });

  test('the token starts at the seed and follows in-order completion', () => {
    const gen = new LocalStreamIdGenerator(10, 'test');
    assert.equal(gen.currentToken(), 10);
    const a = gen.getNext();
    assert.equal(gen.currentToken(), 10);
    a.done();
    assert.equal(gen.currentToken(), 11);
  });

  test('out-of-order completion never moves the token past an unfinished id', () => {
    const gen = new LocalStreamIdGenerator(0, 'test');
    const one = gen.getNext();
    const two = gen.getNext();
    const three = gen.getNext();
    three.done();
    assert.equal(gen.currentToken(), 0);
    two.done();
    assert.equal(gen.currentToken(), 0);
    one.done();
    assert.equal(gen.currentToken(), 3);
  });

  test('a batch holds the token back until the whole batch is done', () => {
    const gen = new LocalStreamIdGenerator(0, 'test');
    const batch = gen.getNextMany(3);
    const after = gen.getNext();
    after.done();
    assert.equal(gen.currentToken(), 0);
    batch.done();
    assert.equal(gen.currentToken(), 4);
  });

  test('done is idempotent and listeners hear each advance once', () => {
    const gen = new LocalStreamIdGenerator(0, 'test');
    const heard: number[] = [];
    const unsubscribe = gen.onAdvance((t) => heard.push(t));
    const one = gen.getNext();
    const two = gen.getNext();
    two.done();
    two.done();
    one.done();
    one.done();
    const three = gen.getNext();
    unsubscribe();
    three.done();
    assert.deepEqual(heard, [2]);
    assert.equal(gen.currentToken(), 3);
  });

  test('a throwing listener does not stop the writer or the other listeners', () => {
    const gen = new LocalStreamIdGenerator(0, 'test');
    const heard: number[] = [];
    gen.onAdvance(() => {
      throw new Error('listener bug');
    });
    gen.onAdvance((t) => heard.push(t));
    gen.getNext().done();
    assert.deepEqual(heard, [1]);
  });

  test('withNext finishes the id even when the work fails', async () => {
    const gen = new LocalStreamIdGenerator(0, 'test');
    await assert.rejects(
      gen.withNext(async () => {
        throw new Error('rolled back');
      }),
      /rolled back/,
    );
    assert.equal(gen.currentToken(), 1);
    assert.equal(await gen.withNext(async (id) => id * 10), 20);
    assert.equal(gen.currentToken(), 2);
  });

  test('many random completions: the token is always the largest fully finished prefix', () => {
    const gen = new LocalStreamIdGenerator(0, 'test');
    const pending = new Map<number, () => void>();
    const finished = new Set<number>();
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let step = 0; step < 5000; step++) {
      if (pending.size === 0 || random() < 0.5) {
        if (random() < 0.2) {
          const batch = gen.getNextMany(1 + Math.floor(random() * 4));
          const key = batch.ids[0];
          assert.ok(key !== undefined);
          pending.set(key, () => {
            batch.done();
            for (const id of batch.ids) finished.add(id);
          });
        } else {
          const a = gen.getNext();
          pending.set(a.id, () => {
            a.done();
            finished.add(a.id);
          });
        }
      } else {
        const keys = [...pending.keys()];
        const key = keys[Math.floor(random() * keys.length)];
        assert.ok(key !== undefined);
        pending.get(key)?.();
        pending.delete(key);
      }
      let expected = 0;
      while (finished.has(expected + 1)) expected += 1;
      assert.equal(gen.currentToken(), expected);
    }
  });
});

describeStorage('stream id generator (database)', (h) => {
  async function withStreamTable(storage: KnexStorage): Promise<void> {
    await storage.knex.schema.createTable('test_stream', (t) => {
      t.bigInteger('stream_id').primary();
      t.text('payload').notNullable();
    });
  }

  async function countUpTo(storage: KnexStorage, token: number): Promise<number> {
    const row: { c?: unknown } | undefined = await storage.knex('test_stream').where('stream_id', '<=', token).count({ c: '*' }).first();
    return Number(row?.c);
  }

  test('concurrent writers: unique ids, and every row at or below the token is committed', async () => {
    const storage = await h.open();
    await withStreamTable(storage);
    const gen = await storage.streamIdGenerator('test_stream', 'stream_id');
    const committed = new Set<number>();
    const violations: string[] = [];
    gen.onAdvance((token) => {
      for (let id = 1; id <= token; id++) if (!committed.has(id)) violations.push(`token ${token} passed unfinished ${id}`);
    });

    const writers = Array.from({ length: 40 }, async (_, i) => {
      const allocation = gen.getNext();
      try {
        // Delays before the write make writers finish in a different order from allocation.
        await sleep(Math.floor(((i * 7919) % 23) + 1));
        await storage.knex.transaction(async (trx) => {
          await trx('test_stream').insert({ stream_id: allocation.id, payload: `row ${i}` });
        });
        committed.add(allocation.id);
      } finally {
        allocation.done();
      }
      const token = gen.currentToken();
      assert.equal(await countUpTo(storage, token), token, `rows visible up to token ${token}`);
      return allocation.id;
    });
    const ids = await Promise.all(writers);

    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual([...ids].sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i + 1));
    assert.deepEqual(violations, []);
    assert.equal(gen.currentToken(), 40);
  });

  test('a rolled-back write leaves a gap the token still moves past', async () => {
    const storage = await h.open();
    await withStreamTable(storage);
    const gen = await storage.streamIdGenerator('test_stream', 'stream_id');
    await assert.rejects(
      gen.withNext((id) =>
        storage.knex.transaction(async (trx) => {
          await trx('test_stream').insert({ stream_id: id, payload: 'doomed' });
          throw new Error('abort');
        }),
      ),
      /abort/,
    );
    await gen.withNext((id) => storage.knex('test_stream').insert({ stream_id: id, payload: 'kept' }));
    assert.equal(gen.currentToken(), 2);
    const rows: Array<{ stream_id: number }> = await storage.knex('test_stream').select('stream_id');
    assert.deepEqual(rows.map((r) => r.stream_id), [2]);
  });

  test('after a restart the generator resumes above the highest persisted id', async () => {
    const db = await h.createDatabase();
    const first = await db.open();
    await withStreamTable(first);
    const gen = await first.streamIdGenerator('test_stream', 'stream_id');
    const batch = gen.getNextMany(5);
    await first.knex('test_stream').insert(batch.ids.map((id) => ({ stream_id: id, payload: 'x' })));
    batch.done();
    // Allocated but never written: it must not matter after a restart.
    gen.getNext();
    await first.close();

    const second = await db.open();
    const resumed = await createStreamIdGenerator(second.knex, 'test_stream', 'stream_id');
    assert.equal(resumed.currentToken(), 5);
    assert.equal(resumed.getNext().id, 6);
  });

  test('an empty table starts at 1', async () => {
    const storage = await h.open();
    await withStreamTable(storage);
    const gen = await createStreamIdGenerator(storage.knex, 'test_stream', 'stream_id');
    assert.equal(gen.currentToken(), 0);
    assert.equal(gen.getNext().id, 1);
  });
});
