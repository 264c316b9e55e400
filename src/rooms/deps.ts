import type { Config } from '../config/types.js';
import type { SigningKey } from '../crypto/index.js';
import type { Logger } from '../http/logger.js';
import type { Storage } from '../storage/interfaces/index.js';
import type { NoticeSink } from '../types/notices.js';
import type { RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';

/** What rooms needs from users/ (wired in main.ts, so neither imports the other). */
export interface ProfileLookup {
  getProfile(userId: UserId): Promise<{ displayname: string | null; avatar_url: string | null }>;
}

/**
 * Membership through other servers, implemented by src/federation and wired in main.ts (rooms must not
 * import federation): joining a room this server is not in.
 */
export interface RemoteMembershipPort {
  /** Joins `userId` to a room we are not in through one of `servers` (make_join / send_join). */
  join(userId: UserId, roomId: RoomId, servers: readonly string[], content: JsonObject): Promise<void>;
}

export interface RoomServiceDeps {
  /** Absent: rooms on other servers cannot be joined (404). */
  remoteMembership?: RemoteMembershipPort;
  config: Config;
  logger: Logger;
  storage: Storage;
  signingKey: SigningKey;
  notices: NoticeSink;
  profiles: ProfileLookup;
  now: () => number;
}
