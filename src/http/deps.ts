import type { Config } from '../config/types.js';
import type { SigningKey } from '../crypto/index.js';
import type { Logger } from './logger.js';
import type { Services } from './services.js';

/**
 * What the HTTP layer and its route factories receive from the composition root (src/main.ts).
 * It grows as services land (storage, rooms, auth, ...); route factories take what they need from it.
 */
export interface HttpDeps {
  config: Config;
  logger: Logger;
  /** Our current signing keys; [0] signs what we send, all of them are published. */
  signingKeys: SigningKey[];
  /** Clock in ms, injectable so tests can pin validity windows. Defaults to Date.now. */
  now?: () => number;
  /** The services route handlers call. */
  services: Services;
}
