// knex's better-sqlite3 dialect calls `connection.prepare(sql)` for every query, and compiling the SQL
// was ~10% of the CPU of message sending (bench/profile-send.ts). The few hundred distinct statements the
// server runs are kept compiled per connection instead. Reusing a statement is safe because knex only
// runs it with the synchronous all()/run(), which never leave a statement half-used; SQLite re-prepares a
// statement by itself when the schema changes under it (migrations).

interface Preparer {
  prepare(sql: string): unknown;
}

/** Statements kept per connection; IN lists of varying length make distinct texts, so the cache is bounded. */
const MAX_STATEMENTS = 500;

export function cachePreparedStatements(conn: Preparer, max = MAX_STATEMENTS): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, unknown>();
  conn.prepare = (sql: string): unknown => {
    const hit = cache.get(sql);
    if (hit !== undefined) {
      // Most recently used last, so the oldest is evicted first.
      cache.delete(sql);
      cache.set(sql, hit);
      return hit;
    }
    const statement = prepare(sql);
    cache.set(sql, statement);
    if (cache.size > max) cache.delete(cache.keys().next().value as string);
    return statement;
  };
}
