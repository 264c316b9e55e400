import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import knexFactory from 'knex';
import { createPostgresDatabase, type Engine } from './engines.js';

// The database ceiling: one INSERT per committed transaction of an event-sized JSON row through knex, on the same
// engine and SQLite pragmas as the server (WAL, synchronous=NORMAL), with `concurrency` writers in flight.
export async function rawInsertRate(engine: Engine, seconds: number, concurrency: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-bench-raw-'));
  const pgDb = engine === 'postgres' ? await createPostgresDatabase() : null;
  const knex = pgDb
    ? knexFactory({ client: 'pg', connection: pgDb.url, pool: { min: 1, max: 10 } })
    : knexFactory({
        client: 'better-sqlite3',
        connection: { filename: join(dir, 'raw.db') },
        useNullAsDefault: true,
        pool: {
          min: 1,
          max: 1,
          afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, c: unknown) => void) {
            conn.pragma('journal_mode = WAL');
            conn.pragma('synchronous = NORMAL');
            done(null, conn);
          },
        },
      });
  try {
    await knex.schema.createTable('events', (t) => {
      t.increments('stream_ordering');
      t.string('event_id').notNullable().unique();
      t.string('room_id').notNullable();
      t.text('json').notNullable();
    });
    const json = JSON.stringify({ type: 'm.room.message', content: { msgtype: 'm.text', body: 'x'.repeat(40) }, sender: '@u:bench.local' });
    let n = 0;
    const end = performance.now() + seconds * 1000;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        while (performance.now() < end) {
          const i = n++;
          await knex.transaction(async (trx) => {
            await trx('events').insert({ event_id: `$${w}-${i}`, room_id: `!r${i % 50}`, json });
          });
        }
      }),
    );
    return n / ((performance.now() - start) / 1000);
  } finally {
    await knex.destroy();
    await rm(dir, { recursive: true, force: true });
    await pgDb?.drop();
  }
}
