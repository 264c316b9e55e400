import { parseArgs } from 'node:util';
import { loadConfigWithWarnings } from '../config/load.js';
import { createLogger } from '../http/logger.js';
import { chooseConfigPath } from './config-path.js';
import type { CliContext } from './io.js';

export const MIGRATE_USAGE = `usage: hearth migrate [--config PATH]
  Brings the database schema up to date and exits (start does this too).`;

export async function migrateCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    ctx.out(MIGRATE_USAGE);
    return 0;
  }
  const { path } = chooseConfigPath(values.config, ctx);
  const { config, warnings } = loadConfigWithWarnings(path, ctx.env);
  const logger = createLogger(config.logLevel);
  for (const w of warnings) logger.warn(w);
  // Imported here so that --help and --version never load the database drivers.
  const { migrateDatabase } = await import('../main.js');
  const applied = await migrateDatabase(config, logger);
  ctx.out(applied.length === 0 ? 'database schema is up to date' : `applied migrations: ${applied.join(', ')}`);
  return 0;
}
