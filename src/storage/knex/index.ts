import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { DatabaseConfig } from '../../config/types.js';
import { connect } from './connect.js';
import { dialectFor } from './dialect.js';
import { KnexStorage } from './knex-storage.js';
import { startWalCheckpointer } from './wal-checkpointer.js';

export { KnexStorage, ServerNameMismatchError } from './knex-storage.js';
export type { Dialect } from './dialect.js';
export { toSafeNumber } from './dialect.js';
export { LocalStreamIdGenerator, createStreamIdGenerator } from './stream-id-generator.js';
export { MIGRATIONS_TABLE } from './migrate.js';

/**
 * Opens the configured database and checks it answers. Does not migrate: the caller (main.ts,
 * the migrate CLI) calls `migrate()` so that it decides when schema changes happen.
 */
export async function openStorage(config: DatabaseConfig, logger: Logger): Promise<KnexStorage> {
  const log = logger.child({ component: 'storage', engine: config.engine });
  const knex = await connect(config, log);
  try {
    await knex.raw('select 1');
  } catch (err) {
    await knex.destroy();
    throw err;
  }
  log.debug(config.engine === 'sqlite' ? { path: config.path } : {}, 'database opened');
  const onDisk = config.engine === 'sqlite' && config.path !== ':memory:' && config.path !== '';
  const checkpointer = onDisk ? startWalCheckpointer(resolve(config.path), log) : null;
  return new KnexStorage(knex, dialectFor(config.engine), log, checkpointer !== null ? () => checkpointer.stop() : undefined);
}
