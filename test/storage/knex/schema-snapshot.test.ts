import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { describeStorage, testLogger } from '../../helpers/storage.js';
import { migrations } from '../../../migrations/index.js';
import { schemaSnapshots } from '../../../migrations/schema-snapshot.js';
import { MIGRATIONS_TABLE } from '../../../src/storage/knex/index.js';
import { runMigrations } from '../../../src/storage/knex/migrate.js';
import { recordSchema } from '../../../src/storage/knex/schema-snapshot.js';

// An empty database gets the schema from a recording of what the migrations send (schema-snapshot.ts): the
// recording must be what the migrations send today, and the schema it makes the one they make.

/** Every table, column, index, constraint, trigger and function of the database's schema, as text to compare. */
async function schemaOf(knex: Knex, engine: 'sqlite' | 'postgres'): Promise<string[]> {
  if (engine === 'sqlite') {
    const rows: Array<{ type: string; name: string; sql: string | null }> = await knex.raw(
      "select type, name, sql from sqlite_master where name not like 'sqlite_%' order by type, name",
    );
    return rows.map((r) => `${r.type} ${r.name}: ${r.sql ?? ''}`);
  }
  const [{ schema }] = ((await knex.raw('select current_schema() as schema')) as { rows: Array<{ schema: string }> }).rows as [{ schema: string }];
  const q = async (sql: string): Promise<string[]> =>
    ((await knex.raw(sql, [schema])) as { rows: Array<{ line: string }> }).rows.map((r) => r.line.replaceAll(`${schema}.`, 'SCHEMA.'));
  return [
    ...(await q(
      `select table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') as line
       from information_schema.columns where table_schema = ? order by table_name, ordinal_position`,
    )),
    ...(await q('select indexdef as line from pg_indexes where schemaname = ? order by indexname')),
    ...(await q(
      `select c.conrelid::regclass::text || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) as line
       from pg_constraint c join pg_namespace n on n.oid = c.connamespace where n.nspname = ? order by 1`,
    )),
    ...(await q(
      `select t.tgname || ' ' || pg_get_triggerdef(t.oid) as line from pg_trigger t join pg_class r on r.oid = t.tgrelid
       join pg_namespace n on n.oid = r.relnamespace where n.nspname = ? and not t.tgisinternal order by 1`,
    )),
    ...(await q(
      `select p.proname || ' ' || pg_get_functiondef(p.oid) as line from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = ? order by 1`,
    )),
  ];
}

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** `hearth migrate --config PATH` as a process of its own; resolves with what it printed. */
function migrateProcess(configPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'migrate', '--config', configPath], { cwd: ROOT }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describeStorage('schema snapshot', (h) => {
  test('the snapshot holds exactly what the migrations send to an empty database today (else: npm run snapshot-schema)', async () => {
    const storage = await (await h.createDatabase()).open({ migrate: false });
    const recorded = await recordSchema(storage.knex, migrations);
    assert.deepEqual(recorded, schemaSnapshots[h.engine]);
  });

  test('an empty database gets the same schema from the snapshot as step by step, with every migration recorded', async () => {
    const stepwise = await (await h.createDatabase()).open({ migrate: false });
    assert.deepEqual(await runMigrations(stepwise.knex, testLogger(), migrations, false), migrations.map((m) => m.name));
    const oneGo = await (await h.createDatabase()).open({ migrate: false });
    let statements = 0;
    oneGo.knex.on('query', () => statements++);
    assert.deepEqual(await runMigrations(oneGo.knex, testLogger(), migrations), migrations.map((m) => m.name));
    // The snapshot's path: PostgreSQL gets the schema in a handful of statements, not one per DDL.
    if (h.engine === 'postgres') assert.ok(statements < 20, `${statements} statements`);

    assert.deepEqual(await schemaOf(oneGo.knex, h.engine), await schemaOf(stepwise.knex, h.engine));
    const names = async (knex: Knex) => (await knex(MIGRATIONS_TABLE).select('name', 'batch').orderBy('id')) as Array<{ name: string; batch: number }>;
    assert.deepEqual(await names(oneGo.knex), await names(stepwise.knex));
  });

  test('a migration added later applies on top of a schema made from the snapshot', async () => {
    const storage = await h.open();
    const later = {
      name: '9999_later',
      migration: { up: (knex: Knex) => knex.schema.alterTable('rooms', (t) => t.text('later_column').nullable()) },
    };
    assert.deepEqual(await runMigrations(storage.knex, testLogger(), [...migrations, later]), ['9999_later']);
    assert.equal(await storage.knex.schema.hasColumn('rooms', 'later_column'), true);
    assert.deepEqual(await runMigrations(storage.knex, testLogger(), [...migrations, later]), []);
  });

  // SQLite's connections wait for each other's locks by blocking their thread, so two in one process would wait
  // on each other: there the two are processes (`hearth migrate`).
  if (h.engine === 'sqlite') {
    test('two processes starting on one empty database at once both end up with the whole schema', async () => {
      const db = await h.createDatabase();
      assert.equal(db.config.engine, 'sqlite');
      if (db.config.engine !== 'sqlite') return;
      const dir = await mkdtemp(join(tmpdir(), 'hs-snapshot-'));
      try {
        const configPath = join(dir, 'homeserver.yaml');
        await writeFile(configPath, `server_name: snapshot.test\ndatabase:\n  name: sqlite3\n  args:\n    database: ${JSON.stringify(db.config.path)}\nsigning_key_path: ${JSON.stringify(join(dir, 'signing.key'))}\nreport_stats: false\n`);
        const outputs = await Promise.all([migrateProcess(configPath), migrateProcess(configPath)]);
        const applied = outputs.flatMap((o) => /applied migrations: (.*)/.exec(o)?.[1]?.split(', ') ?? []);
        assert.deepEqual(applied.sort(), migrations.map((m) => m.name).sort(), outputs.join('\n'));
        const storage = await db.open({ migrate: false });
        const rows: Array<{ name: string }> = await storage.knex(MIGRATIONS_TABLE).select('name').orderBy('id');
        assert.deepEqual(rows.map((r) => r.name), migrations.map((m) => m.name));
        assert.deepEqual(await runMigrations(storage.knex, testLogger()), []);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
    return;
  }

  test('two connections starting on one empty database at once both end up with the whole schema', async () => {
    const db = await h.createDatabase();
    const [a, b] = await Promise.all([db.open({ migrate: false }), db.open({ migrate: false })]);
    const applied = await Promise.all([a.migrate(), b.migrate()]);
    // Between them every migration was applied exactly once.
    assert.deepEqual([...applied[0], ...applied[1]].sort(), migrations.map((m) => m.name).sort());
    const rows: Array<{ name: string }> = await a.knex(MIGRATIONS_TABLE).select('name').orderBy('id');
    assert.deepEqual(rows.map((r) => r.name), migrations.map((m) => m.name));
    assert.equal(await b.knex.schema.hasTable('events'), true);
  });
});
