import type { Knex } from 'knex';

// How each engine sends a batch of writes nobody reads the results of (write-batch.ts says why): part of the
// dialect (dialect.ts), so stores and the batch itself never branch on the engine.

export type Row = Record<string, unknown>;
export type Statement = Knex.QueryBuilder | Knex.Raw | WrittenSql;
/** A statement's text and its parameters, as knex compiles them and as WrittenSql holds them. */
export type SqlText = { sql: string; bindings: readonly unknown[] };

/**
 * SQL written here rather than by knex's query builder. Compiling a multi-row INSERT through knex costs per
 * cell (it sorts each row's keys, quotes each column again for each row, and in SQLite's dialect writes every
 * row as a SELECT of a UNION ALL): ~280 µs for a message's 49 push-action rows, more than SQLite took to
 * store them (measured; README, the 03:15 pass of 2026-11-28).
 */
export class WrittenSql {
  constructor(
    private readonly db: Knex,
    readonly sql: string,
    readonly bindings: readonly unknown[],
  ) {}

  toSQL(): SqlText {
    return this;
  }

  /** Runs it on the knex (or transaction) it was written for. */
  run(): Promise<unknown> {
    return this.db.raw(this.sql, this.bindings as Knex.RawBinding[]);
  }
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * SQLite: multi-row `INSERT ... VALUES` of at most `batchSize(columns)` rows each, written directly (see WrittenSql).
 * A missing value is NULL, as knex writes it with `useNullAsDefault`.
 */
export function sqliteInserts(db: Knex, table: string, rows: readonly Row[], ignoreConflictsOn: readonly string[] | null, batchSize: (columns: number) => number): Weighed[] {
  const columns = Object.keys(rows[0] as Row);
  const size = batchSize(columns.length);
  const head = `insert into ${quoted(table)} (${columns.map(quoted).join(', ')}) values `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const conflict = ignoreConflictsOn === null ? '' : ` on conflict (${ignoreConflictsOn.map(quoted).join(', ')}) do nothing`;
  const out: Weighed[] = [];
  for (let i = 0; i < rows.length; i += size) {
    const part = rows.slice(i, i + size);
    const bindings: unknown[] = [];
    for (const row of part) for (const c of columns) bindings.push(row[c] ?? null);
    const sql = head + Array.from(part, () => tuple).join(', ') + conflict;
    out.push({ statement: new WrittenSql(db, sql, bindings), weight: null });
  }
  return out;
}
/** A statement and what it counts for against a combined statement's budget when not its parameters. */
export type Weighed = { statement: Statement; weight: number | null };

/** Most bind parameters in one combined statement (PostgreSQL's protocol allows 65,535); a JSON row set counts its cells. */
const MAX_BINDINGS = 30_000;
/** Most rows in one JSON parameter. */
const JSON_ROWS = 5_000;

/**
 * A value JSON carries exactly: a lone surrogate (client-sent JSON may hold one) would be an escape PostgreSQL's
 * JSON parser refuses, where a parameter stores U+FFFD; such rows keep the parameter path.
 */
const plain = (v: unknown) =>
  v === null || (typeof v === 'string' && v.isWellFormed()) || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** Multi-row INSERTs built by knex, of at most `batchSize(columns)` rows each (PostgreSQL's fallback from JSON). */
export function valuesInserts(db: Knex, table: string, rows: readonly Row[], ignoreConflictsOn: readonly string[] | null, batchSize: (columns: number) => number): Weighed[] {
  const size = batchSize(Object.keys(rows[0] as Row).length);
  const out: Weighed[] = [];
  for (let i = 0; i < rows.length; i += size) {
    const insert = db(table).insert(rows.slice(i, i + size));
    out.push({ statement: ignoreConflictsOn === null ? insert : insert.onConflict([...ignoreConflictsOn]).ignore(), weight: null });
  }
  return out;
}

/** PostgreSQL: rows as one JSON parameter expanded by json_populate_recordset, where every value is plain. */
export function jsonInserts(db: Knex, table: string, rows: readonly Row[], ignoreConflictsOn: readonly string[] | null, batchSize: (columns: number) => number): Weighed[] {
  const columns = Object.keys(rows[0] as Row);
  if (!rows.every((r) => columns.every((c) => plain(r[c])))) return valuesInserts(db, table, rows, ignoreConflictsOn, batchSize);
  const cols = columns.map(() => '??').join(', ');
  const conflict = ignoreConflictsOn === null ? '' : ` ON CONFLICT (${ignoreConflictsOn.map(() => '??').join(', ')}) DO NOTHING`;
  const sql = `INSERT INTO ?? (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::??, ?)${conflict}`;
  const out: Weighed[] = [];
  for (let i = 0; i < rows.length; i += JSON_ROWS) {
    const part = rows.slice(i, i + JSON_ROWS);
    const statement = db.raw(sql, [table, ...columns, ...columns, table, JSON.stringify(part), ...(ignoreConflictsOn ?? [])]);
    out.push({ statement, weight: part.length * columns.length });
  }
  return out;
}

/** SQLite: one after another (in-process, no round trip to save). */
export async function runOneByOne(statements: readonly Weighed[]): Promise<void> {
  for (const { statement } of statements) await (statement instanceof WrittenSql ? statement.run() : statement);
}

/** What `runInOneGo` (and dialect-reads.ts) use of knex's better-sqlite3 client and of the connection it hands out. */
interface SqliteStatement {
  readonly reader: boolean;
  run(bindings: readonly unknown[]): unknown;
  all(bindings: readonly unknown[]): unknown;
}
interface SqliteConnection {
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteStatement;
}
export interface SqliteClient {
  emit(event: 'query', query: { sql: string; bindings: readonly unknown[] }): boolean;
  acquireConnection(): Promise<SqliteConnection>;
  releaseConnection(conn: SqliteConnection): Promise<unknown>;
  _formatBindings(bindings: readonly unknown[]): unknown[];
}

/**
 * SQLite: the writes in one transaction that runs to its end without yielding, so it is atomic and nothing
 * else runs on the connection meanwhile. Through knex each statement, BEGIN and COMMIT included, went through
 * its runner, the pool and a few promise turns (~10 µs each, against ~1 µs in SQLite for a small insert), while
 * the transaction held the one connection; here knex only builds the SQL, before the connection is taken.
 */
export async function runInOneGo(db: Knex, statements: readonly Weighed[]): Promise<boolean> {
  const compiled = statements.flatMap(({ statement }) => statement.toSQL() as SqlText | SqlText[]);
  if (compiled.length === 0) return true;
  const client = db.client as unknown as SqliteClient;
  const conn = await client.acquireConnection();
  // Told to knex's 'query' listeners as knex would (debug logs, statement counts in tests).
  const run = (sql: string, bindings: readonly unknown[]) => {
    client.emit('query', { sql, bindings });
    const statement = conn.prepare(sql);
    const values = client._formatBindings(bindings);
    if (statement.reader) statement.all(values);
    else statement.run(values);
  };
  try {
    run('BEGIN;', []);
    try {
      for (const { sql, bindings } of compiled) run(sql, bindings);
      run('COMMIT;', []);
    } catch (err) {
      if (conn.inTransaction) run('ROLLBACK', []);
      throw err;
    }
  } finally {
    await client.releaseConnection(conn);
  }
  return true;
}

/** PostgreSQL: as few statements as the budget allows, each a chain of data-modifying WITH queries. */
export async function runCombined(db: Knex, statements: readonly Weighed[]): Promise<void> {
  for (const part of combine(statements)) await runAsOne(db, part);
}

/**
 * PostgreSQL: the writes as one statement, which is atomic without a transaction around it; false, with
 * nothing run, when they do not fit in one.
 */
export async function runCombinedAsOne(db: Knex, statements: readonly Weighed[]): Promise<boolean> {
  const parts = combine(statements);
  if (parts.length > 1) return false;
  if (parts[0] !== undefined) await runAsOne(db, parts[0]);
  return true;
}

/** The statements grouped into combined ones, in order, each within the bindings budget. */
function combine(statements: readonly Weighed[]): SqlText[][] {
  const parts: SqlText[][] = [];
  let part: SqlText[] = [];
  let bindings = 0;
  const close = () => {
    if (part.length > 0) parts.push(part);
    part = [];
    bindings = 0;
  };
  for (const s of statements) {
    const sql = s.statement.toSQL();
    const weight = s.weight ?? sql.bindings.length;
    // A statement with its own WITH cannot be nested in one (PostgreSQL keeps data-modifying WITH at the top).
    const alone = /^\s*with\b/i.test(sql.sql);
    if (alone || bindings + weight > MAX_BINDINGS) close();
    part.push(sql);
    bindings += weight;
    if (alone) close();
  }
  close();
  return parts;
}

/** `WITH w0 AS (first), w1 AS (second) last`: one statement, one round trip. */
async function runAsOne(db: Knex, part: readonly SqlText[]): Promise<void> {
  const last = part.length - 1;
  const withs = part.slice(0, last).map((s, i) => `w${i} AS (${s.sql})`);
  const sql = withs.length === 0 ? (part[last] as SqlText).sql : `WITH ${withs.join(', ')} ${(part[last] as SqlText).sql}`;
  await db.raw(sql, part.flatMap((s) => [...s.bindings]) as Knex.RawBinding[]);
}
