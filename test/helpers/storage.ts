// Runs one storage suite on every engine: SQLite always, PostgreSQL when HS_TEST_POSTGRES holds
// an admin connection URL (e.g. postgres://postgres@127.0.0.1:5432/postgres). Every
// createDatabase() is empty: a temp SQLite file, or a new schema inside a Postgres database
// created for the suite. Everything is removed after the suite.
import { after, describe } from 'node:test';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { Knex } from 'knex';
import type { DatabaseConfig } from '../../src/config/types.js';
import type { StorageEngine } from '../../src/storage/interfaces/index.js';
import { openStorage } from '../../src/storage/knex/index.js';
import type { KnexStorage } from '../../src/storage/knex/index.js';

export const POSTGRES_ENV = 'HS_TEST_POSTGRES';

export function postgresTestUrl(): string | null {
  const url = process.env[POSTGRES_ENV];
  return url !== undefined && url !== '' ? url : null;
}

/** A logger that prints nothing unless HS_TEST_LOG names a level (e.g. HS_TEST_LOG=debug). */
export function testLogger(): Logger {
  return pino({ level: process.env.HS_TEST_LOG ?? 'silent' });
}

export interface TestDatabase {
  readonly engine: StorageEngine;
  readonly config: DatabaseConfig;
  /** Opens (another) connection to this database; migrated unless `migrate: false`. Closed after the suite. */
  open(options?: { migrate?: boolean }): Promise<KnexStorage>;
}

export interface StorageTestContext {
  readonly engine: StorageEngine;
  /** A new, empty database, removed after the suite. */
  createDatabase(): Promise<TestDatabase>;
  /** Shorthand: a new database, opened and migrated. */
  open(): Promise<KnexStorage>;
}

interface EngineHooks {
  create(): Promise<{ config: DatabaseConfig; remove(): Promise<void> }>;
  /** Runs after every database of the suite has been closed and removed. */
  dispose(): Promise<void>;
}

function sqliteHooks(): EngineHooks {
  return {
    async create() {
      const dir = await mkdtemp(join(tmpdir(), 'hs-test-'));
      // A nested path also exercises creating the parent directory.
      const path = join(dir, 'data', 'homeserver.db');
      return { config: { engine: 'sqlite', path }, remove: () => rm(dir, { recursive: true, force: true }) };
    },
    dispose: async () => undefined,
  };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function withClient<T>(connectionString: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function randomName(prefix: string): string {
  return `${prefix}${randomBytes(6).toString('hex')}`;
}

/**
 * A throw-away PostgreSQL database of its own (for a whole server), created on the admin connection `adminUrl`;
 * drop() ends its connections and removes it.
 */
export async function createServerDatabase(adminUrl: string): Promise<{ config: DatabaseConfig; drop(): Promise<void> }> {
  const name = randomName('hs_server_');
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const config: DatabaseConfig = { engine: 'postgres', host: null, port: null, user: null, password: null, database: null, connectionString: url.toString(), poolMin: 0, poolMax: 10 };
  return {
    config,
    drop: () =>
      withClient(adminUrl, async (c) => {
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
        await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
      }),
  };
}

/**
 * One fresh database per suite (CREATE DATABASE is slow, ~0.1-0.5 s), and within it one fresh
 * schema per `createDatabase()`, selected through the connection's search_path. Each test thus
 * still starts from an empty namespace; the database is dropped when the suite ends.
 */
function postgresHooks(adminUrl: string): EngineHooks {
  let database: Promise<{ name: string; url: URL }> | null = null;
  const suiteDatabase = () =>
    (database ??= (async () => {
      const name = randomName('hs_test_');
      await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return { name, url };
    })());

  return {
    async create() {
      const { url } = await suiteDatabase();
      const schema = randomName('s_');
      await withClient(url.toString(), (c) => c.query(`CREATE SCHEMA ${quoteIdent(schema)}`));
      const scoped = new URL(url);
      scoped.searchParams.set('options', `-c search_path=${schema}`);
      const config: DatabaseConfig = {
        engine: 'postgres',
        host: null,
        port: null,
        user: null,
        password: null,
        database: null,
        connectionString: scoped.toString(),
        poolMin: 0,
        poolMax: 4,
      };
      // Dropped with the database in dispose().
      return { config, remove: async () => undefined };
    },
    async dispose() {
      if (database === null) return;
      const { name } = await database;
      database = null;
      await withClient(adminUrl, async (c) => {
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
        await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
      });
    },
  };
}

function makeContext(engine: StorageEngine, hooks: EngineHooks): { ctx: StorageTestContext; cleanup(): Promise<void> } {
  const opened: KnexStorage[] = [];
  const removers: Array<() => Promise<void>> = [];
  const logger = testLogger();

  const createDatabase = async (): Promise<TestDatabase> => {
    const { config, remove } = await hooks.create();
    removers.push(remove);
    return {
      engine,
      config,
      async open(options) {
        const storage = await openStorage(config, logger);
        opened.push(storage);
        if (options?.migrate !== false) await storage.migrate();
        return storage;
      },
    };
  };

  const ctx: StorageTestContext = {
    engine,
    createDatabase,
    open: async () => (await createDatabase()).open(),
  };

  const cleanup = async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    for (const remove of removers.splice(0)) await remove();
    await hooks.dispose();
  };
  return { ctx, cleanup };
}

/** Declares `describe('<name> [sqlite]')` and `describe('<name> [postgres]')` running the same body. */
export function describeStorage(name: string, body: (ctx: StorageTestContext) => void): void {
  describe(`${name} [sqlite]`, () => {
    const { ctx, cleanup } = makeContext('sqlite', sqliteHooks());
    after(cleanup);
    body(ctx);
  });

  const adminUrl = postgresTestUrl();
  const skip = adminUrl === null ? `${POSTGRES_ENV} not set (e.g. postgres://postgres@127.0.0.1:5432/postgres)` : false;
  describe(`${name} [postgres]`, { skip }, () => {
    if (adminUrl === null) return;
    const { ctx, cleanup } = makeContext('postgres', postgresHooks(adminUrl));
    after(cleanup);
    body(ctx);
  });
}

/** How many rows `table` holds. */
export async function countRows(knex: Knex, table: string): Promise<number> {
  const row: { n?: unknown } | undefined = await knex(table).count({ n: '*' }).first();
  return Number(row?.n);
}
