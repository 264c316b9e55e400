import type { DeviceId, UserId } from '../../types/ids.js';

// Accounts, devices, access and refresh tokens, profiles, UIA sessions, registration tokens
// (migrations/0003_accounts.ts). Tokens are passed in and looked up by their SHA-256 hex digest only.

export interface UserRecord {
  userId: UserId;
  passwordHash: string | null;
  createdTs: number;
  admin: boolean;
  deactivated: boolean;
  isGuest: boolean;
  userType: string | null;
  appserviceId: string | null;
  locked: boolean;
  suspended: boolean;
}

export interface NewUser {
  userId: UserId;
  passwordHash: string | null;
  createdTs: number;
  admin?: boolean;
  isGuest?: boolean;
  userType?: string | null;
  appserviceId?: string | null;
  /** Initial profile display name (Synapse defaults it to the localpart). */
  displayname?: string | null;
}

export interface DeviceRecord {
  userId: UserId;
  deviceId: DeviceId;
  displayName: string | null;
  lastSeenTs: number | null;
  lastSeenIp: string | null;
  userAgent: string | null;
}

export interface NewAccessToken {
  tokenHash: string;
  userId: UserId;
  deviceId: DeviceId | null;
  validUntilTs: number | null;
  refreshTokenId: number | null;
  createdTs: number;
}

/** An access token joined with its user, as authentication needs it. */
export interface AccessTokenRecord {
  id: number;
  userId: UserId;
  deviceId: DeviceId | null;
  validUntilTs: number | null;
  refreshTokenId: number | null;
  used: boolean;
  isGuest: boolean;
  deactivated: boolean;
  locked: boolean;
  suspended: boolean;
}

export interface NewRefreshToken {
  tokenHash: string;
  userId: UserId;
  deviceId: DeviceId;
  expiryTs: number | null;
  createdTs: number;
}

export interface RefreshTokenRecord {
  id: number;
  userId: UserId;
  deviceId: DeviceId;
  nextTokenId: number | null;
  expiryTs: number | null;
  /** True when the token this one was exchanged for has itself been used (this one is then spent). */
  nextTokenUsed: boolean;
}

export interface ProfileRecord {
  displayname: string | null;
  avatar_url: string | null;
  /** Custom profile fields (v1.16), not including displayname / avatar_url. */
  fields: Record<string, unknown>;
}

export interface RegistrationTokenRecord {
  token: string;
  usesAllowed: number | null;
  pending: number;
  completed: number;
  expiryTime: number | null;
}

export interface UiaSessionRecord {
  sessionId: string;
  createdTs: number;
  operation: string;
  clientParams: Record<string, unknown>;
  serverData: Record<string, unknown>;
  /** stage type -> what it established */
  completed: Record<string, unknown>;
}

export interface AccountStore {
  // --- users ---
  /** Creates the user (and their profile row). False when the user id is taken. */
  createUser(user: NewUser): Promise<boolean>;
  getUser(userId: UserId): Promise<UserRecord | null>;
  /** Users whose id matches case-insensitively (Synapse's login lookup). */
  findUsersCaseInsensitive(userId: UserId): Promise<UserRecord[]>;
  setPasswordHash(userId: UserId, hash: string | null): Promise<void>;
  setDeactivated(userId: UserId, deactivated: boolean): Promise<void>;
  setAdmin(userId: UserId, admin: boolean): Promise<void>;
  /** Number of users (a starting point when generating numeric user ids). */
  countUsers(): Promise<number>;

  // --- devices ---
  /** Creates the device if missing (keeping an existing one's name). True when it was created. */
  ensureDevice(userId: UserId, deviceId: DeviceId, displayName: string | null, now: number): Promise<boolean>;
  getDevice(userId: UserId, deviceId: DeviceId): Promise<DeviceRecord | null>;
  listDevices(userId: UserId): Promise<DeviceRecord[]>;
  /** False when the device does not exist. */
  setDeviceDisplayName(userId: UserId, deviceId: DeviceId, displayName: string | null): Promise<boolean>;
  recordDeviceSeen(userId: UserId, deviceId: DeviceId, ts: number, ip: string | null, userAgent: string | null): Promise<void>;
  /**
   * Deletes the devices with their access and refresh tokens; `deviceIds` null means every device except
   * `exceptDeviceId`. Returns the ids of the devices that existed and were deleted.
   */
  deleteDevices(userId: UserId, deviceIds: readonly DeviceId[] | null, exceptDeviceId?: DeviceId | null): Promise<DeviceId[]>;

  // --- access tokens ---
  insertAccessToken(token: NewAccessToken): Promise<number>;
  findAccessToken(tokenHash: string): Promise<AccessTokenRecord | null>;
  markAccessTokenUsed(id: number): Promise<void>;
  deleteAccessToken(id: number): Promise<void>;
  /** Deletes every access and refresh token of the user except the access token `exceptTokenId`. */
  deleteTokensForUser(userId: UserId, exceptTokenId?: number | null): Promise<void>;

  // --- refresh tokens ---
  insertRefreshToken(token: NewRefreshToken): Promise<number>;
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null>;
  /**
   * Records that refresh token `oldId` was exchanged for `newId`: the access tokens issued with `oldId`
   * and the refresh token that `oldId` replaced are deleted (the client has evidently moved on).
   */
  replaceRefreshToken(oldId: number, newId: number): Promise<void>;

  // --- login tokens ---
  insertLoginToken(tokenHash: string, userId: UserId, expiryTs: number, authProviderId: string | null): Promise<void>;
  /** Marks the token used and returns its user when it was unused and unexpired; null otherwise. */
  consumeLoginToken(tokenHash: string, now: number): Promise<{ userId: UserId; authProviderId: string | null } | null>;

  // --- profiles ---
  getProfile(userId: UserId): Promise<ProfileRecord | null>;
  setDisplayname(userId: UserId, displayname: string | null): Promise<void>;
  setAvatarUrl(userId: UserId, avatarUrl: string | null): Promise<void>;
  /** Replaces the custom fields object. */
  setProfileFields(userId: UserId, fields: Record<string, unknown>): Promise<void>;

  // --- registration tokens ---
  createRegistrationToken(token: RegistrationTokenRecord): Promise<boolean>;
  getRegistrationToken(token: string): Promise<RegistrationTokenRecord | null>;
  listRegistrationTokens(): Promise<RegistrationTokenRecord[]>;
  updateRegistrationToken(token: string, changes: { usesAllowed?: number | null; expiryTime?: number | null }): Promise<RegistrationTokenRecord | null>;
  deleteRegistrationToken(token: string): Promise<boolean>;
  /**
   * Reserves one use of the token for a registration in progress when it is still valid at `now`
   * (pending + completed below uses_allowed, not expired). False when it is not.
   */
  reserveRegistrationToken(token: string, now: number): Promise<boolean>;
  /** A reserved use became a registration (pending - 1, completed + 1). */
  completeRegistrationToken(token: string): Promise<void>;

  // --- user-interactive auth sessions ---
  createUiaSession(session: Omit<UiaSessionRecord, 'completed'>): Promise<void>;
  getUiaSession(sessionId: string): Promise<UiaSessionRecord | null>;
  setUiaClientParams(sessionId: string, params: Record<string, unknown>): Promise<void>;
  setUiaServerData(sessionId: string, data: Record<string, unknown>): Promise<void>;
  markUiaStageComplete(sessionId: string, stageType: string, result: unknown): Promise<void>;
  deleteUiaSession(sessionId: string): Promise<void>;
  /** Deletes sessions created before `cutoffTs`; returns how many. */
  deleteUiaSessionsBefore(cutoffTs: number): Promise<number>;
}
