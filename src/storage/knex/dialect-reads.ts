import type { Knex } from 'knex';
import type { SqliteClient } from './dialect-writes.js';

// How each engine runs a hot read written as SQL (Dialect.selectRows): part of the dialect (dialect.ts), so stores
// never branch on the engine.
//
// A read through knex's query builder costs its compilation (~10 µs alone, 40-60 µs inside the busy server,
// where knex's compiler sees many shapes) and its runner (the pool, a few promise turns); SQLite itself answers a
// keyed lookup in a few microseconds. Measured in one process on SQLite: builder 57-87 µs a lookup, knex.raw
// 34-53 µs, the statement run directly 6-8 µs (README, the 09:58 pass of 2026-11-29). So the reads every
// message send makes (its transaction-id check) are written as SQL and, on SQLite, run on the connection as
// runInOneGo (dialect-writes.ts) runs writes.

export type ReadRow = Record<string, unknown>;

/**
 * SQLite: `sql` (with `?` parameters) run on the connection `db` hands out, a transaction's own when `db` is a
 * transaction, else the pool's one, waiting as knex would while a transaction holds it. Told to knex's 'query'
 * listeners as knex would.
 */
export async function sqliteSelect(db: Knex, sql: string, bindings: readonly unknown[]): Promise<ReadRow[]> {
  const client = db.client as unknown as SqliteClient;
  const conn = await client.acquireConnection();
  try {
    client.emit('query', { sql, bindings });
    return conn.prepare(sql).all(client._formatBindings(bindings)) as ReadRow[];
  } finally {
    await client.releaseConnection(conn);
  }
}

/** PostgreSQL: `sql` through knex.raw (its `?` become `$n`), skipping only the query builder. */
export async function postgresSelect(db: Knex, sql: string, bindings: readonly unknown[]): Promise<ReadRow[]> {
  const result: { rows: ReadRow[] } = await db.raw(sql, bindings as Knex.RawBinding[]);
  return result.rows;
}
