import type { Config } from '../config/types.js';
import type { Logger } from '../http/logger.js';
import type { Storage } from '../storage/interfaces/index.js';

// Placeholder public surface of auth/ (passwords, tokens, UIA); the accounts work replaces it.

export interface AuthServiceDeps {
  config: Config;
  logger: Logger;
  storage: Storage;
  now: () => number;
}

export interface AuthService {}

export function createAuthService(_deps: AuthServiceDeps): AuthService {
  return {};
}
