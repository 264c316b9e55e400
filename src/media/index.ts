import type { Config } from '../config/types.js';
import type { Logger } from '../http/logger.js';
import type { Storage } from '../storage/interfaces/index.js';

// Placeholder public surface of media/; the media work replaces it.

export interface MediaServiceDeps {
  config: Config;
  logger: Logger;
  storage: Storage;
  now: () => number;
}

export interface MediaService {}

export function createMediaService(_deps: MediaServiceDeps): MediaService {
  return {};
}
