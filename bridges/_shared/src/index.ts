// Public surface of @hearth/bridge-shared. In-repo bridges import this file by relative path
// (`../../_shared/src/index.js`) so that the repository's single `tsc` build and tsx both resolve it without a
// per-package build step; the package name exists for the workspace and for tooling.
export { loadYamlConfig, validateConfig, ConfigError, type JsonSchema } from './config.js';
export { escapeLocalpart, unescapeLocalpart, ghostLocalpart, ghostUserId, isLocalpartValid } from './ghosts.js';
export { createBridgeLogger, type BridgeLogger, type LogLevel } from './logger.js';
export { openStore, type DatabaseConfig, type BridgeMigration, type OpenStoreOptions } from './store.js';
export { htmlToSlackMrkdwn, escapeSlackText, stripReplyFallback, plainBodyOf } from './format.js';
