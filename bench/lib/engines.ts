import { randomBytes } from 'node:crypto';
import pg from 'pg';

// The database engines a scenario runs on: SQLite always, Postgres too when HS_TEST_POSTGRES holds an admin URL
// (the same variable the test suites read). Each server gets a fresh, empty database that is dropped afterwards.

export type Engine = 'sqlite' | 'postgres';

export function postgresAdminUrl(): string | null {
  const url = process.env.HS_TEST_POSTGRES;
  return url !== undefined && url !== '' ? url : null;
}

/** HS_BENCH_ENGINES=postgres (or sqlite) narrows a run to one engine, e.g. to re-measure one of them. */
export function engines(): Engine[] {
  const all: Engine[] = postgresAdminUrl() ? ['sqlite', 'postgres'] : ['sqlite'];
  const only = process.env.HS_BENCH_ENGINES?.split(',').map((e) => e.trim());
  if (only === undefined || only.length === 0 || only[0] === '') return all;
  const picked = all.filter((e) => only.includes(e));
  if (picked.length === 0) throw new Error(`HS_BENCH_ENGINES=${process.env.HS_BENCH_ENGINES} names no engine available here (${all.join(', ')})`);
  return picked;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const url = postgresAdminUrl();
  if (!url) throw new Error('HS_TEST_POSTGRES is not set');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new Postgres database; returns its URL and a function that drops it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `hs_bench_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(postgresAdminUrl() ?? '');
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      admin(async (c) => {
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
        await c.query(`DROP DATABASE IF EXISTS "${name}"`);
      }),
  };
}
