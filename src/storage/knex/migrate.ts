import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { migrations as allMigrations } from '../../../migrations/index.js';
import type { NamedMigration } from '../../../migrations/index.js';
import { RUNTIME_TEMP_STORE } from './connect.js';
import { applySnapshot, snapshotCovers, type SchemaSnapshot } from './schema-snapshot.js';

export const MIGRATIONS_TABLE = 'schema_migrations';

/** Feeds knex's migrator from the static list instead of scanning a directory. */
class ListMigrationSource implements Knex.MigrationSource<NamedMigration> {
  constructor(private readonly list: readonly NamedMigration[]) {}

  getMigrations(): Promise<NamedMigration[]> {
    return Promise.resolve([...this.list]);
  }

  getMigrationName(migration: NamedMigration): string {
    return migration.name;
  }

  getMigration(migration: NamedMigration): Promise<Knex.Migration> {
    return Promise.resolve({
      up: (knex: Knex) => migration.migration.up(knex),
      down: () => Promise.reject(new Error(`migration ${migration.name} is forward-only`)),
    });
  }
}

function assertOrdered(list: readonly NamedMigration[]): void {
  const seen = new Set<string>();
  let previous = '';
  for (const { name } of list) {
    if (!/^\d{4}_[a-z0-9_]+$/.test(name)) throw new Error(`migration name ${name} must look like 0001_some_name`);
    if (seen.has(name)) throw new Error(`migration ${name} is listed twice`);
    if (name <= previous) throw new Error(`migration ${name} is out of order after ${previous}`);
    seen.add(name);
    previous = name;
  }
}

/** The recorded schema (73 KB of SQL), loaded only for an empty database. */
async function snapshotFor(engine: 'sqlite' | 'postgres'): Promise<SchemaSnapshot> {
  const { schemaSnapshots } = await import('../../../migrations/schema-snapshot.js');
  return schemaSnapshots[engine];
}

/**
 * Applies pending migrations, each in its own transaction (both engines have transactional DDL); an empty
 * database gets the recorded schema of them all in one transaction instead (schema-snapshot.ts), unless
 * `useSnapshot` is false. knex's lock table keeps concurrent starters (e.g. several workers) from racing.
 * Returns the names applied by this call.
 */
export async function runMigrations(
  knex: Knex,
  logger: Logger,
  list: readonly NamedMigration[] = allMigrations,
  useSnapshot = true,
): Promise<string[]> {
  assertOrdered(list);
  // A SQLite connection keeps temporary data in memory while serving (connect.ts); an index built over a big
  // table sorts all of it there, so migrations keep theirs in files. (The pool holds the one connection.)
  const sqlite = (knex.client as { dialect?: unknown }).dialect === 'sqlite3';
  if (sqlite) await knex.raw('PRAGMA temp_store = FILE');
  let result: unknown;
  try {
    const engine = sqlite ? 'sqlite' : 'postgres';
    const snapshot = useSnapshot && !(await knex.schema.hasTable(MIGRATIONS_TABLE)) ? await snapshotFor(engine) : null;
    if (snapshot !== null && snapshotCovers(snapshot, list)) {
      try {
        await applySnapshot(knex, engine, snapshot, MIGRATIONS_TABLE);
        logger.info({ applied: snapshot.migrations }, 'database schema created');
        return [...snapshot.migrations];
      } catch (err) {
        // Nothing of it stays (one transaction). Another process creating the schema at the same moment fails it
        // this way; the migrator below then waits on its lock and finds everything applied.
        logger.warn({ err }, 'creating the schema in one go failed; migrating step by step');
      }
    }
    result = await knex.migrate.latest({
      tableName: MIGRATIONS_TABLE,
      migrationSource: new ListMigrationSource(list),
    });
  } finally {
    if (sqlite) await knex.raw(`PRAGMA temp_store = ${RUNTIME_TEMP_STORE}`);
  }
  // knex resolves to [batchNumber, appliedNames].
  const applied = Array.isArray(result) && Array.isArray(result[1]) ? result[1].filter((n): n is string => typeof n === 'string') : [];
  if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
  else logger.debug('database schema up to date');
  return applied;
}
