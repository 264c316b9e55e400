import { resolve } from 'node:path';
import type { CliContext } from './io.js';

export const DEFAULT_CONFIG_PATH = 'data/homeserver.yaml';

export interface ConfigPathChoice {
  path: string;
  /** True when neither --config nor SYNAPSE_CONFIG_PATH named it. */
  isDefault: boolean;
}

/** --config, else SYNAPSE_CONFIG_PATH (as in Synapse's Docker image), else data/homeserver.yaml under cwd. */
export function chooseConfigPath(flag: string | undefined, ctx: CliContext): ConfigPathChoice {
  if (flag) return { path: resolve(ctx.cwd, flag), isDefault: false };
  const fromEnv = ctx.env.SYNAPSE_CONFIG_PATH;
  if (fromEnv) return { path: resolve(ctx.cwd, fromEnv), isDefault: false };
  return { path: resolve(ctx.cwd, DEFAULT_CONFIG_PATH), isDefault: true };
}
