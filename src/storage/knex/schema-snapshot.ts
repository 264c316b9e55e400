import type { Knex } from 'knex';
import type { NamedMigration } from '../../../migrations/index.js';
import type { StorageEngine } from '../interfaces/index.js';

// An empty database gets the schema in one go: the statements every migration sends, recorded once per engine
// (scripts/snapshot-schema.ts writes migrations/schema-snapshot.ts), run in one transaction, with every
// migration then marked applied. Through knex's migrator a new PostgreSQL database took ~340 ms more to start
// than a migrated one (150 DDL statements, each a round trip and a query built by knex's cold code); run as
// one query, the same statements take PostgreSQL ~150 ms (measured; README). A database that has any
// migration applied migrates as before, and so does an empty one whenever the snapshot does not cover exactly
// the migrations listed: a test regenerates the snapshot and compares, so it cannot drift from the migrations.

export interface SnapshotStatement {
  sql: string;
  bindings: ReadonlyArray<string | number | null>;
}

export interface SchemaSnapshot {
  /** The migrations the statements amount to, in order. */
  migrations: readonly string[];
  statements: readonly SnapshotStatement[];
}

/** What knex sends to open, end and nest transactions: the recording runs each migration in one, as the migrator does. */
const TRANSACTION_CONTROL = /^\s*(begin|commit|rollback|savepoint|release)\b/i;

/**
 * knex tells listeners a statement as the driver gets it, with PostgreSQL's `$1, $2, ...` for parameters; it is
 * stored with knex's `?` (SQLite's already), which knex.raw takes on both engines. Refused where that would not
 * be the same statement: a `?` in the text itself, or parameters not numbered in order of appearance.
 */
function withQuestionMarks(sql: string, count: number): string {
  if (sql.includes('?')) {
    if (/\$\d/.test(sql)) throw new Error(`cannot record ${sql}: it holds both ? and $n`);
    return sql;
  }
  let expected = 1;
  const out = sql.replace(/\$(\d+)/g, (_m, n: string) => {
    if (Number(n) !== expected++) throw new Error(`cannot record ${sql}: parameters out of order`);
    return '?';
  });
  if (expected - 1 !== count) throw new Error(`cannot record ${sql}: ${count} parameters, ${expected - 1} placeholders`);
  return out;
}

/**
 * Runs `list` on an empty database, each migration in a transaction of its own as the migrator does, and returns
 * the statements they sent, without transaction control.
 */
export async function recordSchema(knex: Knex, list: readonly NamedMigration[]): Promise<SchemaSnapshot> {
  const statements: SnapshotStatement[] = [];
  const listen = (q: { sql: string; bindings?: unknown[] }) => {
    if (TRANSACTION_CONTROL.test(q.sql)) return;
    const bindings = (q.bindings ?? []).map((b) => {
      if (b === null || typeof b === 'string' || typeof b === 'number') return b;
      throw new Error(`a migration bound ${typeof b} in ${q.sql}: the snapshot holds strings and numbers only`);
    });
    statements.push({ sql: bindings.length === 0 ? q.sql : withQuestionMarks(q.sql, bindings.length), bindings });
  };
  knex.on('query', listen);
  try {
    for (const { migration } of list) await knex.transaction((trx) => migration.up(trx));
  } finally {
    knex.off('query', listen);
  }
  return { migrations: list.map((m) => m.name), statements };
}

/** True when `snapshot` amounts to exactly the migrations of `list`. */
export function snapshotCovers(snapshot: SchemaSnapshot, list: readonly NamedMigration[]): boolean {
  return snapshot.migrations.length === list.length && snapshot.migrations.every((name, i) => list[i]?.name === name);
}

/**
 * Creates the schema from `snapshot` and the migrator's own tables (knex's shape) recording its migrations as
 * applied, in one transaction. Throws, with nothing created, when any of it fails (e.g. another process
 * created the migrator's table first).
 */
export async function applySnapshot(knex: Knex, engine: StorageEngine, snapshot: SchemaSnapshot, migrationsTable: string): Promise<void> {
  await knex.transaction(async (trx) => {
    // The migrator's table first: a second process starting on the same empty database fails here, not halfway.
    await trx.schema.createTable(migrationsTable, (t) => {
      t.increments();
      t.string('name');
      t.integer('batch');
      t.timestamp('migration_time');
    });
    await trx.schema.createTable(`${migrationsTable}_lock`, (t) => {
      t.increments('index').primary();
      t.integer('is_locked');
    });
    await trx(`${migrationsTable}_lock`).insert({ is_locked: 0 });
    if (engine === 'postgres') {
      // Statements without parameters go as one query (PostgreSQL's simple protocol takes several): one round trip.
      let text: string[] = [];
      const send = async () => {
        if (text.length > 0) await trx.raw(text.join('\n;\n'));
        text = [];
      };
      for (const s of snapshot.statements) {
        if (s.bindings.length === 0) text.push(s.sql);
        else {
          await send();
          await trx.raw(s.sql, s.bindings as Knex.RawBinding[]);
        }
      }
      await send();
    } else {
      // In-process: no round trip to save.
      for (const s of snapshot.statements) await trx.raw(s.sql, s.bindings as Knex.RawBinding[]);
    }
    const now = new Date();
    await trx(migrationsTable).insert(snapshot.migrations.map((name) => ({ name, batch: 1, migration_time: now })));
  });
}

/** The source of migrations/schema-snapshot.ts for both engines' recordings (scripts/snapshot-schema.ts). */
export function renderSnapshotModule(snapshots: Record<StorageEngine, SchemaSnapshot>): string {
  const one = (s: SchemaSnapshot) =>
    `{\n    migrations: ${JSON.stringify(s.migrations)},\n    statements: [\n${s.statements.map((st) => `      ${JSON.stringify(st)},`).join('\n')}\n    ],\n  }`;
  return (
    '// Generated by `npm run snapshot-schema` (scripts/snapshot-schema.ts); do not edit. What the migrations send to\n' +
    '// an empty database, per engine, which src/storage/knex/schema-snapshot.ts runs in one go.\n\n' +
    `export const schemaSnapshots = {\n  sqlite: ${one(snapshots.sqlite)},\n  postgres: ${one(snapshots.postgres)},\n};\n`
  );
}
