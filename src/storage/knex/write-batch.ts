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
//   process, with no round trip to save, so there they run one after another.

type Row = Record<string, unknown>;
type Statement = Knex.QueryBuilder | Knex.Raw;

/** Most bind parameters in one combined statement (PostgreSQL's protocol allows 65,535). */
const MAX_BINDINGS = 30_000;

export class WriteBatch {
  /** Rows per table, in the order tables were first used (also the order they are written in). */
  private readonly tables = new Map<string, Row[]>();
  private statements: Statement[] = [];

  constructor(private readonly dialect: Dialect) {}

  /** Rows to insert; every row of one table must have the same columns. */
  rows(table: string, rows: readonly Row[]): void {
    if (rows.length === 0) return;
    const list = this.tables.get(table);
    if (list === undefined) this.tables.set(table, [...rows]);
    else list.push(...rows);
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
    const statements: Statement[] = [];
    for (const [table, rows] of this.tables) {
      const size = this.dialect.batchSize(Object.keys(rows[0] as Row).length);
      for (let i = 0; i < rows.length; i += size) statements.push(trx(table).insert(rows.slice(i, i + size)));
    }
    statements.push(...this.statements);
    this.tables.clear();
    this.statements = [];
    if (this.dialect.engine !== 'postgres') {
      for (const s of statements) await s;
      return;
    }
    let part: Knex.Sql[] = [];
    let bindings = 0;
    for (const s of statements) {
      const sql = s.toSQL();
      // A statement with its own WITH cannot be nested in one (PostgreSQL keeps data-modifying WITH at the top).
      const alone = /^\s*with\b/i.test(sql.sql);
      if (part.length > 0 && (alone || bindings + sql.bindings.length > MAX_BINDINGS)) {
        await runAsOne(trx, part);
        part = [];
        bindings = 0;
      }
      part.push(sql);
      bindings += sql.bindings.length;
      if (alone) {
        await runAsOne(trx, part);
        part = [];
        bindings = 0;
      }
    }
    if (part.length > 0) await runAsOne(trx, part);
  }
}

/** `WITH w0 AS (first), w1 AS (second) last`: one statement, one round trip. */
async function runAsOne(trx: Knex, part: readonly Knex.Sql[]): Promise<void> {
  const last = part.length - 1;
  const withs = part.slice(0, last).map((s, i) => `w${i} AS (${s.sql})`);
  const sql = withs.length === 0 ? (part[last] as Knex.Sql).sql : `WITH ${withs.join(', ')} ${(part[last] as Knex.Sql).sql}`;
  await trx.raw(sql, part.flatMap((s) => [...s.bindings]));
}
