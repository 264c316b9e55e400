import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runModuleScript } from '../../helpers/child-script.js';
import { describeStorage } from '../../helpers/storage.js';

describeStorage('database connection', (h) => {
  test('creates the database and reports its engine', async () => {
    const db = await h.createDatabase();
    const storage = await db.open();
    assert.equal(storage.engine, h.engine);
    assert.equal(storage.dialect.engine, h.engine);
    if (db.config.engine === 'sqlite') assert.ok(existsSync(db.config.path), 'SQLite file created with its parent directory');
  });

  test('each test database starts empty, whatever another one holds', async () => {
    const one = await h.open();
    await one.streamPositions.setPosition('events', 'master', 1);
    const two = await (await h.createDatabase()).open({ migrate: false });
    assert.equal(await two.knex.schema.hasTable('stream_positions'), false);
    await two.migrate();
    assert.equal(await two.streamPositions.getPosition('events', 'master'), null);
  });

  test('returns 64-bit integers as JS numbers', async () => {
    const storage = await h.open();
    await storage.knex.schema.createTable('int_probe', (t) => t.bigInteger('v'));
    await storage.knex('int_probe').insert([{ v: Number.MAX_SAFE_INTEGER }, { v: 1 }]);
    const rows: Array<{ v: unknown }> = await storage.knex('int_probe').select('v').orderBy('v');
    assert.deepEqual(rows.map((r) => r.v), [1, Number.MAX_SAFE_INTEGER]);
    const counted: { n?: unknown } | undefined = await storage.knex('int_probe').count({ n: '*' }).first();
    assert.equal(counted?.n, 2);
  });

  test('closing twice is harmless', async () => {
    const storage = await h.open();
    await storage.close();
    await storage.close();
  });

  if (h.engine === 'sqlite') {
    test('every SQLite connection uses WAL, foreign keys, NORMAL sync, a busy timeout, a 2 MB page cache and in-memory temporary data', async () => {
      const storage = await h.open();
      const pragma = async (name: string): Promise<unknown> => {
        const rows: Array<Record<string, unknown>> = await storage.knex.raw(`PRAGMA ${name}`);
        const first = rows[0];
        return first === undefined ? undefined : Object.values(first)[0];
      };
      assert.equal(await pragma('journal_mode'), 'wal');
      assert.equal(await pragma('foreign_keys'), 1);
      assert.equal(await pragma('synchronous'), 1); // NORMAL
      assert.ok(Number(await pragma('busy_timeout')) > 0);
      assert.equal(await pragma('cache_size'), -2000); // KiB: better-sqlite3's build would hold up to 16 MB
      assert.equal(await pragma('temp_store'), 2); // MEMORY: statement journals are not files in /var/tmp
    });
  } else {
    test('a 64-bit value beyond 2^53 fails the query instead of losing precision', async () => {
      const storage = await h.open();
      await assert.rejects(storage.knex.raw('SELECT 9007199254740993::int8 AS v'), /does not fit/);
    });

    test("connecting loads pg without node's fetch implementation, and leaves no navigator global behind", async () => {
      // In a process of its own: this one has loaded pg (and so fetch) already.
      const db = await h.createDatabase();
      const script = `
        import pino from 'pino';
        import { connect } from ${JSON.stringify(fileURLToPath(new URL('../../../src/storage/knex/connect.ts', import.meta.url)))};
        const knex = await connect(JSON.parse(process.env.DB_CONFIG), pino({ level: 'silent' }));
        const rows = await knex.raw('SELECT 1 AS one');
        await knex.destroy();
        process.stdout.write(JSON.stringify({ one: rows.rows[0].one, navigator: typeof globalThis.navigator, undici: process.moduleLoadList.some((m) => m.includes('undici')) }));
      `;
      const out = await runModuleScript(script, { ...process.env, DB_CONFIG: JSON.stringify(db.config) });
      assert.deepEqual(JSON.parse(out), { one: 1, navigator: 'undefined', undici: false });
    });
  }
});
