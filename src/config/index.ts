export type * from './types.js';
export { ConfigError, isConfigError } from './errors.js';
export { loadConfig, loadConfigWithWarnings, type Env } from './load.js';
export { buildConfig, type BuildOptions, type BuildResult } from './build.js';
export { generateConfigFile, renderHomeserverYaml, type GenerateOptions, type GenerateResult } from './generate.js';
export { ensureSigningKeyFile, loadOrCreateSigningKeys, type SigningKeysResult } from './signing-keys.js';
export { parseDuration, parseSize } from './units.js';
export { RATE_LIMIT_DEFAULTS } from './rate-limits.js';
export { bridgeRegistrationFiles } from './bridges.js';
