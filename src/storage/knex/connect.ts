import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { DatabaseConfig } from '../../config/types.js';
import { sqliteClientWithLiteralLimits } from './literal-limits.js';
import { cachePreparedStatements } from './statement-cache.js';

/** How long a SQLite connection waits on a lock held by another process before failing. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

const PG_INT8_OID = 20;

/** SQLite's page cache per connection, in KiB (SQLite's own default). */
const PAGE_CACHE_KIB = 2000;

/** Where SQLite keeps temporary files' contents while serving (migrate.ts switches to FILE and back). */
export const RUNTIME_TEMP_STORE = 'MEMORY';

/** WAL pages (4 KiB) at which a COMMIT checkpoints by itself when the checkpoint worker fell behind. */
const BACKSTOP_CHECKPOINT_PAGES = 10_000;

/**
 * Stream ids, timestamps and counts are int8 in Postgres, which pg returns as strings by default.
 * They all fit in 2^53, so parse them as numbers, and fail the query loudly rather than round.
 * The parser is attached per connection (not through pg.types globally) so nothing else in the
 * process is affected.
 */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} does not fit in a JS number`);
  return n;
}

/**
 * Loads pg (knex's pg client then finds it loaded). On Node 20 loading pg also loaded node's fetch
 * implementation, for the process's life (~2 MB of heap): pg's stream.js asks whether it runs in a Cloudflare
 * Worker, and without a `navigator` global (Node 21 has one) asks by constructing a fetch `Response`. A
 * `navigator` like Node 21's, there only while pg loads (synchronously), lets it answer the cheap way.
 */
function loadPg(): typeof import('pg') {
  const requirePg = () => createRequire(import.meta.url)('pg') as typeof import('pg');
  const g = globalThis as { navigator?: unknown };
  if (g.navigator !== undefined) return requirePg();
  g.navigator = { userAgent: `Node.js/${process.versions.node}` };
  try {
    return requirePg();
  } finally {
    delete g.navigator;
  }
}

/** The pg module is loaded only for a Postgres database: a SQLite server never pays its ~40-90 ms of loading. */
function pgTypes(): Knex.PgCustomTypesConfig {
  const pg = loadPg();
  return {
    getTypeParser(oid: number, format: string): unknown {
      if (format === 'binary') return pg.types.getTypeParser(oid, 'binary');
      if (oid === PG_INT8_OID) return parseInt8;
      return pg.types.getTypeParser(oid, 'text');
    },
  };
}

interface SqlitePragmaTarget {
  pragma(source: string): unknown;
  prepare(sql: string): unknown;
}

function isPragmaTarget(conn: unknown): conn is SqlitePragmaTarget {
  return typeof conn === 'object' && conn !== null && typeof (conn as { pragma?: unknown }).pragma === 'function' && typeof (conn as { prepare?: unknown }).prepare === 'function';
}

function sqliteConfig(path: string, logger: Logger): Knex.Config {
  const inMemory = path === ':memory:' || path === '';
  const filename = inMemory ? ':memory:' : resolve(path);
  if (!inMemory) mkdirSync(dirname(filename), { recursive: true });
  return {
    // PostgreSQL plans a bound LIMIT once per statement; SQLite would plan it again on every run.
    client: sqliteClientWithLiteralLimits() as unknown as Knex.Config['client'],
    useNullAsDefault: true,
    connection: { filename },
    pool: {
      // One connection: SQLite has one writer anyway, and a single connection keeps an
      // in-memory database alive and consistent. Code must not query outside a transaction it
      // holds open, or it waits for itself.
      min: 1,
      max: 1,
      afterCreate: (conn: unknown, done: (err: Error | null, conn: unknown) => void) => {
        try {
          if (!isPragmaTarget(conn)) throw new Error('unexpected SQLite connection object');
          // Pragmas are per connection, so they are set on every new one.
          conn.pragma('journal_mode = WAL');
          conn.pragma('foreign_keys = ON');
          conn.pragma('synchronous = NORMAL');
          // A worker thread checkpoints (wal-checkpointer.ts); SQLite's own, inside a COMMIT on the event
          // loop, is the backstop (default 1,000 pages), and what checkpoints when the worker is not running (light
          // traffic): a higher threshold means fewer of them, each writing back pages rewritten many times over.
          if (!inMemory) conn.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
          conn.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
          // better-sqlite3 builds SQLite with a 16 MB page cache per connection, which fills as the database grows
          // and is never given back: after 10 minutes of light traffic it held ~7 MB more of the idle server's RSS
          // than SQLite's own default of 2 MB (bench/scenarios/memory.ts). A page SQLite does not hold is a read
          // from the kernel's file cache: ~2% of the server's CPU under heavy sending (perf), and no difference the
          // send and initial-sync benchmarks could measure.
          conn.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
          // SQLite writes a statement's journal (kept so one statement of a transaction can be undone alone)
          // and its temporary B-trees to files it creates and deletes in /var/tmp once they pass 64 KiB: the
          // staged push actions' move and a busy room's commit did, 8-30 file writes per message sent
          // (bench/profile-wal-pages.ts), besides opening, truncating and unlinking the files. Held in memory
          // instead, the send scenario on SQLite sent 12-14% more messages per second in five of its six cases
          // (one client in 50 rooms: +2%; two runs each way, alternated). Migrations, whose index builds may
          // sort a whole table, switch back to files while they run (migrate.ts).
          conn.pragma(`temp_store = ${RUNTIME_TEMP_STORE}`);
          cachePreparedStatements(conn);
          done(null, conn);
        } catch (err) {
          logger.error({ err }, 'configuring SQLite connection failed');
          done(err instanceof Error ? err : new Error(String(err)), conn);
        }
      },
    },
  };
}

function postgresConfig(config: Extract<DatabaseConfig, { engine: 'postgres' }>): Knex.Config {
  const common = { types: pgTypes(), application_name: 'hearth' };
  const connection: Knex.PgConnectionConfig =
    config.connectionString !== null
      ? { connectionString: config.connectionString, ...common }
      : {
          ...(config.host !== null ? { host: config.host } : {}),
          ...(config.port !== null ? { port: config.port } : {}),
          ...(config.user !== null ? { user: config.user } : {}),
          ...(config.password !== null ? { password: config.password } : {}),
          ...(config.database !== null ? { database: config.database } : {}),
          ...common,
        };
  return {
    client: 'pg',
    connection,
    pool: { min: config.poolMin, max: config.poolMax },
  };
}

/** Opens a knex instance for the configured engine. Nothing is queried until first use. */
export async function connect(config: DatabaseConfig, logger: Logger): Promise<Knex> {
  const knexConfig = config.engine === 'sqlite' ? sqliteConfig(config.path, logger) : postgresConfig(config);
  return knexFactory({
    ...knexConfig,
    log: {
      warn: (message: unknown) => logger.warn({ knex: message }, 'knex warning'),
      error: (message: unknown) => logger.error({ knex: message }, 'knex error'),
      deprecate: (method: string, alternative: string) => logger.warn({ method, alternative }, 'knex deprecation'),
      debug: (message: unknown) => logger.debug({ knex: message }, 'knex debug'),
    },
  });
}
