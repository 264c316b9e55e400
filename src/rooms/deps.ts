import type { Config } from '../config/types.js';
import type { SigningKey } from '../crypto/index.js';
import type { Logger } from '../http/logger.js';
import type { Storage } from '../storage/interfaces/index.js';
import type { NoticeSink } from '../types/notices.js';
import type { UserId } from '../types/ids.js';

/** What rooms needs from users/ (wired in main.ts, so neither imports the other). */
export interface ProfileLookup {
  getProfile(userId: UserId): Promise<{ displayname: string | null; avatar_url: string | null }>;
}

export interface RoomServiceDeps {
  config: Config;
  logger: Logger;
  storage: Storage;
  signingKey: SigningKey;
  notices: NoticeSink;
  profiles: ProfileLookup;
  now: () => number;
}
