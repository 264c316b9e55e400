import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import pg from 'pg';
import type { BridgeLogger } from './logger.js';

// A bridge's own database: SQLite (one file, the default) or PostgreSQL, through knex like the core, with the
// bridge's own forward-only migrations in its own migrations table. A bridge may share a Postgres database with
// the core: its tables carry the bridge's prefix and its migrations table is separate.

export type DatabaseConfig = { engine: 'sqlite'; filename: string } | { engine: 'postgres'; connection_string: string };

export interface BridgeMigration {
  /** Stored in the migrations table; never rename one once released. Looks like 0001_links. */
  name: string;
  up(knex: Knex): Promise<void>;
}

export interface OpenStoreOptions {
  database: DatabaseConfig;
  /** e.g. "slack_webhooks": names the migrations table (`<bridge>_migrations`). */
  bridge: string;
  migrations: readonly BridgeMigration[];
  logger: BridgeLogger;
}

const PG_INT8_OID = 20;
// Timestamps and counters are int8; they fit in 2^53, so read them as numbers rather than strings.
const pgTypes: Knex.PgCustomTypesConfig = {
  getTypeParser(oid: number, format: string): unknown {
    if (format === 'binary') return pg.types.getTypeParser(oid, 'binary');
    if (oid === PG_INT8_OID) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, 'text');
  },
};

function knexConfig(db: DatabaseConfig): Knex.Config {
  if (db.engine === 'postgres') {
    return { client: 'pg', connection: { connectionString: db.connection_string, types: pgTypes }, pool: { min: 0, max: 5 } };
  }
  const inMemory = db.filename === ':memory:';
  const filename = inMemory ? ':memory:' : resolve(db.filename);
  if (!inMemory) mkdirSync(dirname(filename), { recursive: true });
  return {
    client: 'better-sqlite3',
    useNullAsDefault: true,
    connection: { filename },
    pool: {
      // One connection: SQLite has one writer, and one connection keeps an in-memory database alive.
      min: 1,
      max: 1,
      afterCreate: (conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma('busy_timeout = 5000');
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  };
}

class ListSource implements Knex.MigrationSource<BridgeMigration> {
  constructor(private readonly list: readonly BridgeMigration[]) {}
  getMigrations(): Promise<BridgeMigration[]> {
    return Promise.resolve([...this.list]);
  }
  getMigrationName(m: BridgeMigration): string {
    return m.name;
  }
  getMigration(m: BridgeMigration): Promise<Knex.Migration> {
    return Promise.resolve({ up: (k: Knex) => m.up(k), down: () => Promise.reject(new Error(`migration ${m.name} is forward-only`)) });
  }
}

/** Opens the database and applies the bridge's pending migrations. The caller destroys the knex when done. */
export async function openStore(opts: OpenStoreOptions): Promise<Knex> {
  let previous = '';
  for (const { name } of opts.migrations) {
    if (!/^\d{4}_[a-z0-9_]+$/.test(name) || name <= previous) throw new Error(`bridge migration ${name} is misnamed or out of order`);
    previous = name;
  }
  const knex = knexFactory(knexConfig(opts.database));
  try {
    const result: unknown = await knex.migrate.latest({ tableName: `${opts.bridge}_migrations`, migrationSource: new ListSource(opts.migrations) });
    const applied = Array.isArray(result) && Array.isArray(result[1]) ? (result[1] as unknown[]) : [];
    if (applied.length > 0) opts.logger.info({ applied }, 'bridge database migrations applied');
    return knex;
  } catch (err) {
    await knex.destroy();
    throw err;
  }
}
