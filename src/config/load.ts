import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { buildConfig, type BuildResult } from './build.js';
import { ConfigError } from './errors.js';
import type { Config } from './types.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates homeserver.yaml, returning the config and the warnings to log once a logger exists. */
export function loadConfigWithWarnings(path: string, env: Env): BuildResult {
  const configPath = resolve(path);
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT' ? `config file ${configPath} does not exist` : `cannot read ${configPath} (${(e as Error).message})`,
    );
  }
  let raw: unknown;
  try {
    // YAML 1.1 because Synapse reads its config with PyYAML: `yes`/`no` are booleans there and must stay so.
    raw = parseYaml(text, { version: '1.1', prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    const first = ((e as Error).message.split('\n')[0] ?? 'parse error').trim();
    throw new ConfigError(`${configPath} is not valid YAML: ${first}`);
  }
  return buildConfig(raw, { configDir: dirname(configPath), configPath, env });
}

/**
 * Loads homeserver.yaml into a frozen Config. `onWarning` receives the non-fatal findings (ignored keys, ...);
 * fatal problems throw ConfigError with a one-line message.
 */
export function loadConfig(path: string, env: Env, onWarning?: (message: string) => void): Config {
  const { config, warnings } = loadConfigWithWarnings(path, env);
  for (const w of warnings) onWarning?.(w);
  return config;
}
