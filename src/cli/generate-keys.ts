import { parseArgs } from 'node:util';
import { loadConfigWithWarnings } from '../config/load.js';
import { loadOrCreateSigningKeys } from '../config/signing-keys.js';
import { chooseConfigPath } from './config-path.js';
import type { CliContext } from './io.js';

export const GENERATE_KEYS_USAGE = `usage: hearth generate-keys [--config PATH]
  Creates the signing key file named by signing_key_path if it is missing; an existing file is left untouched.`;

export function generateKeysCommand(argv: string[], ctx: CliContext): number {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    ctx.out(GENERATE_KEYS_USAGE);
    return 0;
  }
  const { path } = chooseConfigPath(values.config, ctx);
  const { config } = loadConfigWithWarnings(path, ctx.env);
  const { keys, created } = loadOrCreateSigningKeys(config.signingKeyPath);
  const ids = keys.map((k) => k.keyId).join(', ');
  ctx.out(
    created
      ? `wrote signing key ${config.signingKeyPath} (${ids})`
      : `signing key file ${config.signingKeyPath} already exists (${ids}); nothing to do`,
  );
  return 0;
}
