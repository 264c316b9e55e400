import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';

// Rows a room-writer transaction appends to tables nothing in that transaction reads back (auth and prev
// edges, event_state, transaction ids). A group commit persists several events in one transaction; written
// as each event is persisted, every such row cost its own INSERT (query building, a statement run, index
// descents), so they are collected and written per table in multi-row INSERTs just before the commit.

type Row = Record<string, unknown>;

export class DeferredRows {
  /** Rows per table, in the order tables were first used (also the order they are written in). */
  private readonly tables = new Map<string, Row[]>();

  constructor(private readonly dialect: Dialect) {}

  /** Every row of one table must have the same columns. */
  add(table: string, rows: readonly Row[]): void {
    if (rows.length === 0) return;
    const list = this.tables.get(table);
    if (list === undefined) this.tables.set(table, [...rows]);
    else list.push(...rows);
  }

  /** Writes and forgets every collected row; call inside the transaction, before anything reads those tables. */
  async flush(trx: Knex.Transaction): Promise<void> {
    for (const [table, rows] of this.tables) {
      const size = this.dialect.batchSize(Object.keys(rows[0] as Row).length);
      for (let i = 0; i < rows.length; i += size) await trx(table).insert(rows.slice(i, i + size));
    }
    this.tables.clear();
  }
}
