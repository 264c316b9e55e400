import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { describeStorage, testLogger } from '../../helpers/storage.js';
import { migrations } from '../../../migrations/index.js';
import { MIGRATIONS_TABLE } from '../../../src/storage/knex/index.js';
import { runMigrations } from '../../../src/storage/knex/migrate.js';

const FOUNDATION_TABLES = ['instance_meta', 'stream_positions', 'server_signing_keys', 'server_key_responses'];

describeStorage('migrations', (h) => {
  test('apply every listed migration to an empty database', async () => {
    const db = await h.createDatabase();
    const storage = await db.open({ migrate: false });
    for (const table of FOUNDATION_TABLES) assert.equal(await storage.knex.schema.hasTable(table), false);

    const applied = await storage.migrate();

    assert.deepEqual(applied, migrations.map((m) => m.name));
    for (const table of FOUNDATION_TABLES) assert.equal(await storage.knex.schema.hasTable(table), true, table);
  });

  test('running again applies nothing, also from a second connection', async () => {
    const db = await h.createDatabase();
    const first = await db.open();
    assert.deepEqual(await first.migrate(), []);
    await first.close();

    const second = await db.open({ migrate: false });
    assert.deepEqual(await second.migrate(), []);
    const rows: Array<{ name: string }> = await second.knex(MIGRATIONS_TABLE).select('name').orderBy('id');
    assert.deepEqual(rows.map((r) => r.name), migrations.map((m) => m.name));
  });

  test('a failing migration leaves no partial schema behind', async () => {
    const db = await h.createDatabase();
    const storage = await db.open();
    const broken = [
      ...migrations,
      {
        name: '9999_broken',
        migration: {
          async up(knex: Knex) {
            await knex.schema.createTable('half_done', (t) => t.integer('x'));
            throw new Error('boom');
          },
        },
      },
    ];

    await assert.rejects(runMigrations(storage.knex, testLogger(), broken), /boom/);

    assert.equal(await storage.knex.schema.hasTable('half_done'), false);
    const names: Array<{ name: string }> = await storage.knex(MIGRATIONS_TABLE).select('name');
    assert.ok(!names.some((r) => r.name === '9999_broken'));
  });

  if (h.engine === 'sqlite') {
    test('migrations keep SQLite temporary data in files, and the connection goes back to memory after, also after a failure', async () => {
      const db = await h.createDatabase();
      const storage = await db.open();
      const tempStore = async (knex: Knex): Promise<unknown> => Object.values(((await knex.raw('PRAGMA temp_store')) as Array<Record<string, unknown>>)[0] ?? {})[0];
      const seen: unknown[] = [];
      const probe = (name: string, fail: boolean) => ({
        name,
        migration: {
          async up(knex: Knex) {
            seen.push(await tempStore(knex));
            if (fail) throw new Error('boom');
          },
        },
      });
      await runMigrations(storage.knex, testLogger(), [...migrations, probe('9998_probe', false)]);
      assert.deepEqual(seen, [1]); // FILE
      assert.equal(await tempStore(storage.knex), 2); // MEMORY
      await assert.rejects(runMigrations(storage.knex, testLogger(), [...migrations, probe('9998_probe', false), probe('9999_probe', true)]), /boom/);
      assert.deepEqual(seen, [1, 1]);
      assert.equal(await tempStore(storage.knex), 2);
    });
  }

  test('a list out of order or with a malformed name is refused before touching the database', async () => {
    const storage = await h.open();
    const noop = { up: async () => undefined };
    await assert.rejects(
      runMigrations(storage.knex, testLogger(), [
        { name: '0002_b', migration: noop },
        { name: '0001_a', migration: noop },
      ]),
      /out of order/,
    );
    await assert.rejects(runMigrations(storage.knex, testLogger(), [{ name: 'first', migration: noop }]), /must look like/);
  });
});
