import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateConfigFile } from '../config/generate.js';
import { chooseConfigPath } from './config-path.js';
import { UsageError, type CliContext } from './io.js';

export const GENERATE_CONFIG_USAGE = `usage: hearth generate-config --server-name NAME --report-stats=yes|no [--config-path PATH] [--data-dir DIR]
  Writes a commented homeserver.yaml and a signing key, like Synapse's generate mode.
  --server-name   the server's name (env SYNAPSE_SERVER_NAME); it cannot be changed later
  --report-stats  yes or no (env SYNAPSE_REPORT_STATS)
  --config-path   where to write homeserver.yaml (env SYNAPSE_CONFIG_PATH; default data/homeserver.yaml)
  --data-dir      where the database, media and signing key live (env SYNAPSE_DATA_DIR; default: beside the config)`;

export function parseYesNo(value: string, what: string): boolean {
  const v = value.trim().toLowerCase();
  if (['yes', 'y', 'true', '1'].includes(v)) return true;
  if (['no', 'n', 'false', '0'].includes(v)) return false;
  throw new UsageError(`${what} must be yes or no (got ${JSON.stringify(value)})`);
}

export function generateConfigCommand(argv: string[], ctx: CliContext): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      'server-name': { type: 'string', short: 'H' },
      'report-stats': { type: 'string' },
      'config-path': { type: 'string', short: 'c' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    ctx.out(GENERATE_CONFIG_USAGE);
    return 0;
  }
  const serverName = values['server-name'] ?? ctx.env.SYNAPSE_SERVER_NAME;
  if (!serverName) throw new UsageError('--server-name (or env SYNAPSE_SERVER_NAME) is required');
  const reportStatsRaw = values['report-stats'] ?? ctx.env.SYNAPSE_REPORT_STATS;
  if (!reportStatsRaw) throw new UsageError('--report-stats=yes|no (or env SYNAPSE_REPORT_STATS) is required');
  const reportStats = parseYesNo(reportStatsRaw, '--report-stats');
  const { path: configPath } = chooseConfigPath(values['config-path'], ctx);
  const dataDirFlag = values['data-dir'] ?? ctx.env.SYNAPSE_DATA_DIR;
  const dataDir = dataDirFlag ? resolve(ctx.cwd, dataDirFlag) : dirname(configPath);

  const result = generateConfigFile({ serverName, reportStats, configPath, dataDir });
  ctx.out(`wrote ${result.configPath}`);
  ctx.out(
    result.signingKeyCreated
      ? `wrote signing key ${result.signingKeyPath}`
      : `kept existing signing key ${result.signingKeyPath}`,
  );
  return 0;
}
