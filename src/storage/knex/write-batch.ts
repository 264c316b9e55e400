import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';

// Writes of a room-writer transaction: the events, their edges, event_state, transaction ids, forward
// extremities, push actions, index rows and positions. They are collected and written together just before
// the commit (the store flushes earlier only where it reads one of those tables back, which a message sent
// here never needs):
// - rows added per table go out as multi-row INSERTs (a group commit persists many events: one INSERT each
//   cost query building, a statement run and index descents per row);
// - on PostgreSQL every statement is also a round trip (0.1-0.3 ms on loopback, more under load) that the
//   transaction, and the group commit behind it, waits for, so there the whole batch is ONE statement: each
//   write a data-modifying WITH query of it. They run on one snapshot and none sees another's rows, which is
//   why only writes that touch different rows and read nothing written here may be added. SQLite runs in this
//   process, with no round trip to save, so there they run one after another;
// - on PostgreSQL a table's rows travel as one JSON parameter expanded by json_populate_recordset, not as a
//   VALUES list of a parameter per cell: a big room's message has a push-action row per member, and 1,200 rows
//   of 9 columns cost knex, pg and the server's parser ~18 ms as parameters against ~12 ms as JSON (measured).
//   Only rows of plain values (strings, numbers, booleans, null) go that way; JSON has no other kinds.

type Row = Record<string, unknown>;
type Statement = Knex.QueryBuilder | Knex.Raw;
/** A statement and what it counts for against MAX_BINDINGS when not its parameters (a JSON row set: its cells). */
type Weighed = { statement: Statement; weight: number | null };

/** Most bind parameters in one combined statement (PostgreSQL's protocol allows 65,535); a JSON row set counts its cells. */
const MAX_BINDINGS = 30_000;
/** Most rows in one JSON parameter. */
const JSON_ROWS = 5_000;

interface TableRows {
  rows: Row[];
  /** Columns of a unique key: rows that collide with a stored one are skipped. */
  ignoreConflictsOn: readonly string[] | null;
}

/**
 * A value JSON carries exactly: a lone surrogate (client-sent JSON may hold one) would be an escape PostgreSQL's
 * JSON parser refuses, where a parameter stores U+FFFD; such rows keep the parameter path.
 */
const plain = (v: unknown) =>
  v === null || (typeof v === 'string' && v.isWellFormed()) || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

export class WriteBatch {
  /** Rows per table, in the order tables were first used (also the order they are written in). */
  private readonly tables = new Map<string, TableRows>();
  private statements: Statement[] = [];

  constructor(private readonly dialect: Dialect) {}

  /**
   * Rows to insert; every row of one table must have the same columns. With `ignoreConflictsOn`, a row whose
   * key (those columns) is already stored is skipped; a table's rows must all be added the same way.
   */
  rows(table: string, rows: readonly Row[], ignoreConflictsOn: readonly string[] | null = null): void {
    if (rows.length === 0) return;
    const entry = this.tables.get(table);
    if (entry === undefined) this.tables.set(table, { rows: [...rows], ignoreConflictsOn });
    else if (String(entry.ignoreConflictsOn) !== String(ignoreConflictsOn)) throw new Error(`${table}: rows added with different conflict handling`);
    else entry.rows.push(...rows);
  }

  /** A statement built on the transaction it is flushed with, whose result nobody needs. */
  add(...statements: Statement[]): void {
    this.statements.push(...statements);
  }

  /**
   * Writes and forgets everything collected, with the transaction the statements were built on (before anything
   * in it reads those tables), or with the connection pool for writes that need no transaction of their own.
   */
  async flush(trx: Knex): Promise<void> {
    const statements: Weighed[] = [];
    for (const [table, { rows, ignoreConflictsOn }] of this.tables) statements.push(...this.inserts(trx, table, rows, ignoreConflictsOn));
    statements.push(...this.statements.map((statement) => ({ statement, weight: null })));
    this.tables.clear();
    this.statements = [];
    if (this.dialect.engine !== 'postgres') {
      for (const { statement } of statements) await statement;
      return;
    }
    let part: Knex.Sql[] = [];
    let bindings = 0;
    for (const s of statements) {
      const sql = s.statement.toSQL();
      const weight = s.weight ?? sql.bindings.length;
      // A statement with its own WITH cannot be nested in one (PostgreSQL keeps data-modifying WITH at the top).
      const alone = /^\s*with\b/i.test(sql.sql);
      if (part.length > 0 && (alone || bindings + weight > MAX_BINDINGS)) {
        await runAsOne(trx, part);
        part = [];
        bindings = 0;
      }
      part.push(sql);
      bindings += weight;
      if (alone) {
        await runAsOne(trx, part);
        part = [];
        bindings = 0;
      }
    }
    if (part.length > 0) await runAsOne(trx, part);
  }

  private inserts(trx: Knex, table: string, rows: readonly Row[], ignoreConflictsOn: readonly string[] | null): Weighed[] {
    const columns = Object.keys(rows[0] as Row);
    const out: Weighed[] = [];
    if (this.dialect.engine === 'postgres' && rows.every((r) => columns.every((c) => plain(r[c])))) {
      const cols = columns.map(() => '??').join(', ');
      const conflict = ignoreConflictsOn === null ? '' : ` ON CONFLICT (${ignoreConflictsOn.map(() => '??').join(', ')}) DO NOTHING`;
      const sql = `INSERT INTO ?? (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::??, ?)${conflict}`;
      for (let i = 0; i < rows.length; i += JSON_ROWS) {
        const part = rows.slice(i, i + JSON_ROWS);
        const statement = trx.raw(sql, [table, ...columns, ...columns, table, JSON.stringify(part), ...(ignoreConflictsOn ?? [])]);
        out.push({ statement, weight: part.length * columns.length });
      }
      return out;
    }
    const size = this.dialect.batchSize(columns.length);
    for (let i = 0; i < rows.length; i += size) {
      const insert = trx(table).insert(rows.slice(i, i + size));
      out.push({ statement: ignoreConflictsOn === null ? insert : insert.onConflict([...ignoreConflictsOn]).ignore(), weight: null });
    }
    return out;
  }
}

/** `WITH w0 AS (first), w1 AS (second) last`: one statement, one round trip. */
async function runAsOne(trx: Knex, part: readonly Knex.Sql[]): Promise<void> {
  const last = part.length - 1;
  const withs = part.slice(0, last).map((s, i) => `w${i} AS (${s.sql})`);
  const sql = withs.length === 0 ? (part[last] as Knex.Sql).sql : `WITH ${withs.join(', ')} ${(part[last] as Knex.Sql).sql}`;
  await trx.raw(sql, part.flatMap((s) => [...s.bindings]));
}
