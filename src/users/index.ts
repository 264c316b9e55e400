import type { Config } from '../config/types.js';
import type { Logger } from '../http/logger.js';
import type { Storage } from '../storage/interfaces/index.js';
import type { NoticeSink } from '../types/notices.js';
import type { UserId } from '../types/ids.js';

// Placeholder public surface of users/ (accounts, devices, profiles); the accounts work replaces it.

/** What users/ needs from rooms/ (wired in main.ts, so neither imports the other). */
export interface RoomMembershipPort {
  /** Re-sends the user's member event in every joined room with the new profile. */
  propagateProfile(userId: UserId): Promise<void>;
  /** Leaves (and rejects invites to) every room, for deactivation. */
  leaveAllRooms(userId: UserId): Promise<void>;
}

export interface UserServiceDeps {
  config: Config;
  logger: Logger;
  storage: Storage;
  notices: NoticeSink;
  rooms: RoomMembershipPort;
  now: () => number;
}

export interface UserService {}

export function createUserService(_deps: UserServiceDeps): UserService {
  return {};
}
