import type { DeviceId, RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';

// End-to-end encryption storage (tables of migrations/0006_e2e.ts): device keys, one-time and fallback keys,
// cross-signing keys and signatures, the device-list change stream, the to-device inbox and key backups.
// Only src/users/e2e calls it. Writes that belong to a stream take the stream id from the caller, which
// allocated it from storage.streamIdGenerator and calls done() after the returned promise settles.

export type CrossSigningKeyType = 'master' | 'self_signing' | 'user_signing';

export interface OneTimeKeyRow {
  algorithm: string;
  keyId: string;
  key: JsonObject | string;
}

export interface ClaimedKey {
  algorithm: string;
  keyId: string;
  key: JsonObject | string;
}

export interface StoredCrossSigningKey {
  keyType: CrossSigningKeyType;
  publicKey: string;
  key: JsonObject;
}

export interface SignatureRow {
  signerUserId: UserId;
  /** e.g. `ed25519:<device id>` or `ed25519:<self-signing public key>`. */
  signerKeyId: string;
  targetUserId: UserId;
  /** A device id, or the public key of a cross-signing key. */
  targetKeyId: string;
  signature: string;
}

export interface ToDeviceMessage {
  userId: UserId;
  deviceId: DeviceId;
  /** {type, sender, content} exactly as delivered. */
  message: JsonObject;
}

export interface InboxMessage {
  streamId: number;
  message: JsonObject;
}

export interface BackupVersionRow {
  version: number;
  algorithm: string;
  authData: JsonObject;
  etag: number;
}

export interface RoomKeyData {
  firstMessageIndex: number;
  forwardedCount: number;
  isVerified: boolean;
  sessionData: JsonObject;
}

export interface RoomKeyRow extends RoomKeyData {
  roomId: RoomId;
  sessionId: string;
}

export interface DeviceKeyStore {
  /** Device key objects of a user, all devices or only `deviceIds`. */
  getDeviceKeys(userId: UserId, deviceIds?: readonly DeviceId[]): Promise<Map<DeviceId, JsonObject>>;
  /** Stores (replaces) a device's key object and records a device-list change at `streamId`, atomically. */
  setDeviceKeys(userId: UserId, deviceId: DeviceId, keys: JsonObject, streamId: number, now: number): Promise<void>;
  /**
   * Removes everything the server holds for deleted devices (keys, one-time and fallback keys, signatures
   * on them, pending to-device messages) and records a device-list change at `streamId`.
   */
  deleteDevices(userId: UserId, deviceIds: readonly DeviceId[], streamId: number): Promise<void>;

  /**
   * Adds one-time keys in upload order. A key id already held with identical content is skipped; one
   * held with different content is returned in `conflicts` and nothing of the batch is stored.
   */
  addOneTimeKeys(
    userId: UserId,
    deviceId: DeviceId,
    keys: readonly OneTimeKeyRow[],
    now: number,
  ): Promise<{ conflicts: Array<{ algorithm: string; keyId: string }> }>;
  /** Unclaimed one-time keys per algorithm. */
  countOneTimeKeys(userId: UserId, deviceId: DeviceId): Promise<Record<string, number>>;
  /**
   * Removes and returns the oldest one-time key of `algorithm`; failing that, returns the fallback key of
   * that algorithm and marks it used. Each one-time key is returned at most once, also under concurrency.
   */
  claimKey(userId: UserId, deviceId: DeviceId, algorithm: string): Promise<ClaimedKey | undefined>;

  /** Replaces the fallback key per algorithm (unused again), unless the identical key is already stored. */
  setFallbackKeys(userId: UserId, deviceId: DeviceId, keys: readonly OneTimeKeyRow[]): Promise<void>;
  /** Algorithms with a fallback key that has not been claimed yet. */
  getUnusedFallbackKeyTypes(userId: UserId, deviceId: DeviceId): Promise<string[]>;
}

export interface CrossSigningStore {
  getCrossSigningKeys(userId: UserId): Promise<Map<CrossSigningKeyType, StoredCrossSigningKey>>;
  /** Replaces the given keys and records a device-list change at `streamId`, atomically. */
  setCrossSigningKeys(userId: UserId, keys: readonly StoredCrossSigningKey[], streamId: number, now: number): Promise<void>;
  /** Stored signatures on these targets of one user (device ids or cross-signing public keys). */
  getSignaturesOn(targetUserId: UserId, targetKeyIds: readonly string[]): Promise<SignatureRow[]>;
  /** Stores signatures and records a device-list change for each of `changedUsers` at `streamId`. */
  addSignatures(rows: readonly SignatureRow[], changedUsers: readonly UserId[], streamId: number): Promise<void>;
}

export interface DeviceListStore {
  /** Records that these users' devices or keys changed (e.g. a device was added or renamed). */
  markDeviceListsChanged(userIds: readonly UserId[], streamId: number): Promise<void>;
  /** Users with a change in (from, to]; all such users, or only those in `among`. */
  getDeviceListChanges(from: number, to: number, among?: readonly UserId[]): Promise<Set<UserId>>;
}

export interface ToDeviceStore {
  /**
   * Queues messages for local devices under `streamId`, unless (sender, senderDevice, txnId) was already
   * accepted: then nothing is stored and false is returned. Atomic.
   */
  addToDeviceMessages(
    sender: { userId: UserId; deviceId: string; txnId: string },
    messages: readonly ToDeviceMessage[],
    streamId: number,
    now: number,
  ): Promise<boolean>;
  /** Pending messages of a device with after < stream_id <= upTo, oldest first, at most `limit`. */
  getToDeviceMessages(userId: UserId, deviceId: DeviceId, after: number, upTo: number, limit: number): Promise<InboxMessage[]>;
  /** Deletes a device's messages with stream_id <= upTo (the client acknowledged them). Returns how many. */
  deleteToDeviceMessages(userId: UserId, deviceId: DeviceId, upTo: number): Promise<number>;
}

export interface KeyBackupStore {
  /** Creates a backup version numbered one above any version the user ever had. */
  createBackupVersion(userId: UserId, algorithm: string, authData: JsonObject): Promise<number>;
  /** A live version, or the newest live one when `version` is undefined. */
  getBackupVersion(userId: UserId, version?: number): Promise<BackupVersionRow | undefined>;
  /** Replaces auth_data of a live version; false when there is no such version. */
  updateBackupVersion(userId: UserId, version: number, authData: JsonObject): Promise<boolean>;
  /** Marks a version deleted and drops its keys; false when it was never created. */
  deleteBackupVersion(userId: UserId, version: number): Promise<boolean>;
  countRoomKeys(userId: UserId, version: number): Promise<number>;
  getRoomKeys(userId: UserId, version: number, roomId?: RoomId, sessionId?: string): Promise<RoomKeyRow[]>;
  /**
   * Stores keys, keeping an existing key wherever `keepExisting(existing, incoming)` says so; bumps the
   * version's etag when anything changed. Atomic. Returns the etag and count afterwards.
   */
  putRoomKeys(
    userId: UserId,
    version: number,
    keys: readonly RoomKeyRow[],
    keepExisting: (existing: RoomKeyData, incoming: RoomKeyData) => boolean,
  ): Promise<{ etag: number; count: number }>;
  /** Deletes keys of a version (all, of a room, or one session); bumps the etag when any were deleted. */
  deleteRoomKeys(userId: UserId, version: number, roomId?: RoomId, sessionId?: string): Promise<{ etag: number; count: number }>;
}

export interface E2eStore extends DeviceKeyStore, CrossSigningStore, DeviceListStore, ToDeviceStore, KeyBackupStore {}

