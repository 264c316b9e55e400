import type { Config } from '../config/types.js';
import type { Logger } from '../http/logger.js';
import type { Storage } from '../storage/interfaces/index.js';
import type { NoticeHub } from '../types/notices.js';

// Placeholder public surface of sync/ (notifier, /sync, typing, receipts, presence, account data);
// the sync work replaces it.

export interface SyncServiceDeps {
  config: Config;
  logger: Logger;
  storage: Storage;
  notices: NoticeHub;
  now: () => number;
}

export interface SyncService {
  close(): void;
}

export function createSyncService(_deps: SyncServiceDeps): SyncService {
  return { close() {} };
}
