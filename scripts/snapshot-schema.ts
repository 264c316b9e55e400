// Writes migrations/schema-snapshot.ts: the statements the migrations send to an empty database, for SQLite and
// for PostgreSQL, which an empty database then gets in one go (src/storage/knex/schema-snapshot.ts). Run after
// adding a migration: `HS_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres npm run snapshot-schema`
// (PostgreSQL's statements need a server: a database is created for the recording and dropped after).
// test/storage/knex/schema-snapshot.test.ts fails until the file matches the migrations.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { migrations } from '../migrations/index.js';
import { connect } from '../src/storage/knex/connect.js';
import { recordSchema, renderSnapshotModule, type SchemaSnapshot } from '../src/storage/knex/schema-snapshot.js';
import type { DatabaseConfig } from '../src/config/types.js';

const adminUrl = process.env.HS_TEST_POSTGRES;
if (adminUrl === undefined || adminUrl === '') {
  process.stderr.write('HS_TEST_POSTGRES must name a PostgreSQL server to record its statements on\n');
  process.exit(2);
}
const logger = pino({ level: 'warn' });

async function record(config: DatabaseConfig): Promise<SchemaSnapshot> {
  const knex = await connect(config, logger);
  try {
    return await recordSchema(knex, migrations);
  } finally {
    await knex.destroy();
  }
}

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
const name = `hearth_snapshot_${randomBytes(6).toString('hex')}`;
await admin.query(`CREATE DATABASE ${name}`);
try {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const postgres = await record({
    engine: 'postgres',
    host: null,
    port: null,
    user: null,
    password: null,
    database: null,
    connectionString: url.toString(),
    poolMin: 0,
    poolMax: 1,
  });
  const sqlite = await record({ engine: 'sqlite', path: ':memory:' });
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations', 'schema-snapshot.ts');
  writeFileSync(out, renderSnapshotModule({ sqlite, postgres }));
  process.stdout.write(`wrote ${out}: ${sqlite.statements.length} SQLite and ${postgres.statements.length} PostgreSQL statements\n`);
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.end();
}
