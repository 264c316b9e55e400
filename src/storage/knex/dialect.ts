import type { Knex } from 'knex';
import type { StorageEngine } from '../interfaces/index.js';
import { jsonInserts, runCombined, runCombinedAsOne, runInOneGo, runOneByOne, sqliteInserts, type Row, type Weighed } from './dialect-writes.js';
import { postgresSelect, sqliteSelect, type ReadRow } from './dialect-reads.js';

/**
 * The few places SQLite and PostgreSQL differ. Stores ask this object instead of branching on
 * the engine, so there is one implementation of every store.
 */
export interface Dialect {
  readonly engine: StorageEngine;
  /**
   * Most bound parameters one statement may carry. SQLite allows 32766 since 3.32, Postgres
   * 65535; a margin is left for the rest of the statement.
   */
  readonly maxBindParams: number;
  /**
   * Most rows one multi-row INSERT may carry. knex renders SQLite multi-row inserts as a compound
   * SELECT, which SQLite caps at 500 terms; Postgres has no such cap.
   */
  readonly maxRowsPerInsert: number;
  /** True when `err` is a unique / primary key violation, e.g. to treat a duplicate insert as a no-op. */
  isUniqueViolation(err: unknown): boolean;
  /**
   * Inserts `row` and returns the value of its auto-increment `idColumn`. Both engines support
   * RETURNING, but SQLite hands back the driver's rowid type, so the result is normalised here.
   */
  insertReturningId(db: Knex | Knex.Transaction, table: string, row: Record<string, unknown>, idColumn: string): Promise<number>;
  /**
   * Upsert: inserts rows, replacing `updateColumns` (default: every non-key column) on conflict
   * with `conflictColumns`. Both engines use `ON CONFLICT ... DO UPDATE`. Large arrays are split
   * into several statements; pass a transaction when they must land together.
   */
  upsert(
    db: Knex | Knex.Transaction,
    table: string,
    rows: Record<string, unknown> | ReadonlyArray<Record<string, unknown>>,
    conflictColumns: readonly string[],
    updateColumns?: readonly string[],
  ): Promise<void>;
  /**
   * Statements inserting `rows` of one table (same columns), skipping rows whose `ignoreConflictsOn` key is
   * stored: multi-row INSERTs, or on PostgreSQL one JSON parameter per up to 5,000 rows (dialect-writes.ts).
   */
  insertRows(db: Knex, table: string, rows: readonly Row[], ignoreConflictsOn: readonly string[] | null): Weighed[];
  /**
   * Rows of one read written as SQL with `?` parameters, without knex's query builder, and on SQLite without its
   * runner (dialect-reads.ts): for the reads every message send makes. On `db`'s connection, a transaction's
   * when `db` is one.
   */
  selectRows(db: Knex, sql: string, bindings: readonly unknown[]): Promise<ReadRow[]>;
  /** Runs writes whose results nobody reads, in order: one by one (SQLite), or combined into few statements (PostgreSQL). */
  runWrites(db: Knex, statements: readonly Weighed[]): Promise<void>;
  /**
   * Runs writes atomically without a transaction open through knex, and answers true; or answers false and runs
   * nothing when they cannot go so. PostgreSQL: as one statement, which saves BEGIN's and COMMIT's round trips
   * (false when they do not fit in one). SQLite: in one transaction run synchronously on the connection, which
   * saves knex's work per statement (dialect-writes.ts).
   */
  runWritesAsOne(db: Knex, statements: readonly Weighed[]): Promise<boolean>;
  /** Rows per INSERT so that rows of `columnsPerRow` parameters stay under both limits. */
  batchSize(columnsPerRow: number): number;
  /** SQL for the server name of a user id column (all after the first ':'), so DISTINCT runs in the database. */
  serverOfUserIdSql(column: string): string;
  /**
   * One statement for "the `limit` newest live timeline events (not outliers, soft-failed or rejected) of each
   * (room, from, to) slice", as rows of `columns` of `events` plus `req`, the slice's index; null when the
   * engine has no LATERAL join (SQLite), whose callers then run a UNION ALL of per-slice sub-selects. On
   * PostgreSQL that UNION ALL is planned branch by branch (0.4-1 ms a room, more the more branches), where a
   * lateral join over the unnested slices is planned once and still reads each room by its index.
   */
  timelineSlicesSql: ((slices: ReadonlyArray<{ roomId: string; from: number; to: number }>, limit: number, columns: readonly string[]) => { sql: string; bindings: unknown[] }) | null;
}

function errorCode(err: unknown): string | null {
  if (typeof err !== 'object' || err === null || !('code' in err)) return null;
  const { code } = err;
  return typeof code === 'string' ? code : null;
}

/** Converts a driver integer (number or bigint) to a safe JS number. */
export function toSafeNumber(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)) {
    return Number(value);
  }
  if (typeof value === 'string' && /^-?\d+$/.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  throw new RangeError(`${what}: expected a safe integer, got ${String(value)}`);
}

function makeUpsert(batchSize: (columnsPerRow: number) => number): Dialect['upsert'] {
  return async (db, table, rows, conflictColumns, updateColumns) => {
    const list: ReadonlyArray<Record<string, unknown>> = Array.isArray(rows) ? rows : [rows];
    const first = list[0];
    if (first === undefined) return;
    const columns = Object.keys(first);
    const merge = updateColumns ?? columns.filter((c) => !conflictColumns.includes(c));
    const size = batchSize(columns.length);
    for (let i = 0; i < list.length; i += size) {
      const query = db(table)
        .insert(list.slice(i, i + size))
        .onConflict([...conflictColumns]);
      if (merge.length === 0) await query.ignore();
      else await query.merge([...merge]);
    }
  };
}

async function insertReturningId(
  db: Knex | Knex.Transaction,
  table: string,
  row: Record<string, unknown>,
  idColumn: string,
): Promise<number> {
  const returned: unknown[] = await db(table).insert(row).returning(idColumn);
  const first = returned[0];
  const value = typeof first === 'object' && first !== null ? (first as Record<string, unknown>)[idColumn] : first;
  return toSafeNumber(value, `${table}.${idColumn}`);
}

function batchSizeFor(maxBindParams: number, maxRowsPerInsert: number) {
  return (columnsPerRow: number): number =>
    Math.max(1, Math.min(maxRowsPerInsert, Math.floor(maxBindParams / Math.max(1, columnsPerRow))));
}

export function sqliteDialect(): Dialect {
  const maxBindParams = 32000;
  const maxRowsPerInsert = 500;
  const batchSize = batchSizeFor(maxBindParams, maxRowsPerInsert);
  return {
    engine: 'sqlite',
    maxBindParams,
    maxRowsPerInsert,
    // better-sqlite3 reports SQLITE_CONSTRAINT_UNIQUE or SQLITE_CONSTRAINT_PRIMARYKEY.
    isUniqueViolation: (err) => {
      const code = errorCode(err);
      return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
    },
    insertReturningId,
    upsert: makeUpsert(batchSize),
    batchSize,
    serverOfUserIdSql: (column) => `substr(${column}, instr(${column}, ':') + 1)`,
    timelineSlicesSql: null,
    insertRows: (db, table, rows, ignoreConflictsOn) => sqliteInserts(db, table, rows, ignoreConflictsOn, batchSize),
    selectRows: sqliteSelect,
    runWrites: (_db, statements) => runOneByOne(statements),
    runWritesAsOne: runInOneGo,
  };
}

export function postgresDialect(): Dialect {
  const maxBindParams = 65000;
  const maxRowsPerInsert = Number.MAX_SAFE_INTEGER;
  const batchSize = batchSizeFor(maxBindParams, maxRowsPerInsert);
  return {
    engine: 'postgres',
    maxBindParams,
    maxRowsPerInsert,
    isUniqueViolation: (err) => errorCode(err) === '23505',
    insertReturningId,
    upsert: makeUpsert(batchSize),
    batchSize,
    serverOfUserIdSql: (column) => `substr(${column}, strpos(${column}, ':') + 1)`,
    insertRows: (db, table, rows, ignoreConflictsOn) => jsonInserts(db, table, rows, ignoreConflictsOn, batchSize),
    selectRows: postgresSelect,
    runWrites: runCombined,
    runWritesAsOne: runCombinedAsOne,
    timelineSlicesSql: (slices, limit, columns) => ({
      sql:
        `select r.req, ${columns.map((c) => `e.${c}`).join(', ')} ` +
        'from unnest(?::bigint[], ?::text[], ?::bigint[], ?::bigint[]) as r(req, room_id, lo, hi) ' +
        `cross join lateral (select ${columns.join(', ')} from events ` +
        'where events.room_id = r.room_id and events.outlier = false and events.soft_failed = false and events.rejected_reason is null ' +
        'and events.stream_ordering > r.lo and events.stream_ordering <= r.hi order by events.stream_ordering desc limit ?) as e',
      bindings: [slices.map((_, i) => i), slices.map((s) => s.roomId), slices.map((s) => s.from), slices.map((s) => s.to), limit],
    }),
  };
}

export function dialectFor(engine: StorageEngine): Dialect {
  return engine === 'sqlite' ? sqliteDialect() : postgresDialect();
}
