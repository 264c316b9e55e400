import { migrations } from '../../migrations/index.js';
import { runMigrations } from '../../src/storage/knex/migrate.js';
import type { KnexStorage } from '../../src/storage/knex/index.js';
import { testLogger, type StorageTestContext } from './storage.js';

/**
 * A new database migrated up to migration `name`, not including it, for tests of what that migration does to
 * data written before it. `rest`: the names of the migrations still to run, `name` first.
 */
export async function openBefore(h: StorageTestContext, name: string): Promise<{ storage: KnexStorage; rest: string[] }> {
  const at = migrations.findIndex((m) => m.name === name);
  if (at <= 0) throw new Error(`no migration ${name} after the first`);
  const storage = await (await h.createDatabase()).open({ migrate: false });
  await runMigrations(storage.knex, testLogger(), migrations.slice(0, at));
  return { storage, rest: migrations.slice(at).map((m) => m.name) };
}
