import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import type { Row, Statement, Weighed } from './dialect-writes.js';

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
// How each engine does it is the dialect's (dialect.ts, dialect-writes.ts); this only collects.

interface TableRows {
  rows: Row[];
  /** Columns of a unique key: rows that collide with a stored one are skipped. */
  ignoreConflictsOn: readonly string[] | null;
}

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
    await this.dialect.runWrites(trx, this.take(trx));
  }

  /**
   * Writes everything collected atomically, outside any transaction (dialect.runWritesAsOne); false, with
   * nothing written, where the writes do not fit in one PostgreSQL statement.
   */
  async flushAsOne(db: Knex): Promise<boolean> {
    return this.dialect.runWritesAsOne(db, this.take(db));
  }

  /** The statements of everything collected, built on `db`; the batch is empty afterwards. */
  private take(db: Knex): Weighed[] {
    const statements: Weighed[] = [];
    for (const [table, { rows, ignoreConflictsOn }] of this.tables) statements.push(...this.dialect.insertRows(db, table, rows, ignoreConflictsOn));
    statements.push(...this.statements.map((statement) => ({ statement, weight: null })));
    this.tables.clear();
    this.statements = [];
    return statements;
  }
}
