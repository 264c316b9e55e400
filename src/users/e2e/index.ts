import type { DeviceId, RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { Requester } from '../../types/requester.js';
import type { StreamIdGenerator } from '../../storage/interfaces/index.js';
import { createE2eContext, type E2eServiceDeps, type LocalDeviceListChange } from './context.js';
import * as keys from './device-keys.js';
import * as lists from './device-lists.js';
import * as toDevice from './to-device.js';
import * as xsign from './cross-signing.js';
import { uploadSignatures } from './signatures.js';
import * as backup from './key-backup.js';
import * as federated from './federated.js';

// The end-to-end encryption service: device keys, one-time and fallback keys, cross-signing, signatures,
// to-device messages, device-list tracking and server-side key backup. The server stores and relays keys
// and ciphertext; it never sees plaintext.

export type { E2eServiceDeps, RemoteKeysPort, DeviceEventsPort, DeviceChangeNotice, LocalDeviceListChange } from './context.js';
export type { LocalDeviceSnapshot } from './federated.js';
export type { UploadKeysBody, QueryKeysResult, ClaimKeysResult } from './device-keys.js';
export type { DeviceListPositions, DeviceListChanges } from './device-lists.js';
export type { ToDeviceSyncResult } from './to-device.js';
export type { CrossSigningUploadBody } from './cross-signing.js';
export type { KeyBackupData, BackupVersionInfo, RoomsKeyBackup } from './key-backup.js';
export { keepExistingRoomKey } from './key-backup.js';
export { TO_DEVICE_SYNC_LIMIT } from './to-device.js';
export { e2eSyncExtensions, E2E_SYNC_EXTENSION_NAMES } from './sync-extensions.js';

/** Current readable positions of the two e2e streams (what a /sync next_batch may carry). */
export interface E2eStreamPositions {
  toDevice: number;
  deviceLists: number;
}

export interface E2eService {
  uploadKeys(requester: Requester, body: keys.UploadKeysBody): Promise<{ one_time_key_counts: Record<string, number> }>;
  queryKeys(requester: Requester, deviceKeys: Record<UserId, string[]>, timeoutMs: number): Promise<keys.QueryKeysResult>;
  claimKeys(requester: Requester, oneTimeKeys: Record<UserId, Record<DeviceId, string>>, timeoutMs: number): Promise<keys.ClaimKeysResult>;
  /** /keys/changes and /sync device_lists. */
  deviceListChanges(
    userId: UserId,
    from: lists.DeviceListPositions,
    to: lists.DeviceListPositions,
    known?: lists.KnownMemberships,
  ): Promise<lists.DeviceListChanges>;

  sendToDevice(requester: Requester, type: string, txnId: string, messages: Record<UserId, Record<string, JsonObject>>): Promise<void>;
  /**
   * The to_device section of one /sync (acknowledges, i.e. deletes, everything up to `since`). At most `limit`
   * messages (default 100); null returns everything up to `upTo`.
   */
  syncToDevice(userId: UserId, deviceId: DeviceId, since: number | null, upTo: number, limit?: number | null): Promise<toDevice.ToDeviceSyncResult>;

  /** device_one_time_keys_count for /sync. */
  oneTimeKeyCounts(userId: UserId, deviceId: DeviceId): Promise<Record<string, number>>;
  /** device_unused_fallback_key_types for /sync. */
  unusedFallbackKeyTypes(userId: UserId, deviceId: DeviceId): Promise<string[]>;
  currentPositions(): Promise<E2eStreamPositions>;
  /**
   * The same, synchronously, for /sync's extension registry. The generators are seeded when the service is
   * built (one query each, long before the first request); until then the positions read 0.
   */
  positionsNow(): E2eStreamPositions;

  crossSigningUploadNeedsAuth(requester: Requester, body: xsign.CrossSigningUploadBody): Promise<boolean>;
  uploadCrossSigningKeys(requester: Requester, body: xsign.CrossSigningUploadBody): Promise<void>;
  uploadSignatures(requester: Requester, body: Record<UserId, Record<string, JsonObject>>): Promise<{ failures: Record<UserId, Record<string, JsonObject>> }>;

  createBackupVersion(requester: Requester, algorithm: string, authData: JsonObject): Promise<{ version: string }>;
  getBackupVersion(requester: Requester, version?: string): Promise<backup.BackupVersionInfo>;
  updateBackupVersion(requester: Requester, version: string, body: { algorithm: string; auth_data: JsonObject; version?: string }): Promise<void>;
  deleteBackupVersion(requester: Requester, version: string): Promise<void>;
  putRoomKeys(requester: Requester, version: string, rooms: backup.RoomsKeyBackup): Promise<{ etag: string; count: number }>;
  getAllRoomKeys(requester: Requester, version: string): Promise<{ rooms: backup.RoomsKeyBackup }>;
  getRoomKeysOfRoom(requester: Requester, version: string, roomId: RoomId): Promise<{ sessions: Record<string, backup.KeyBackupData> }>;
  getRoomKey(requester: Requester, version: string, roomId: RoomId, sessionId: string): Promise<backup.KeyBackupData>;
  deleteRoomKeys(requester: Requester, version: string, roomId?: RoomId, sessionId?: string): Promise<{ etag: string; count: number }>;

  /**
   * For the accounts work: a device was created or renamed. Users sharing a room refetch the device list
   * (a new device must get room keys; a new name shows in their device lists).
   */
  onDeviceChanged(userId: UserId): Promise<void>;
  /** Federation: a remote user's device list or cross-signing keys changed (m.device_list_update / m.signing_key_update). */
  applyRemoteDeviceListChange(userId: UserId): Promise<void>;
  /** Federation: an m.direct_to_device EDU for our users; returns how many device messages were queued. */
  deliverRemoteToDevice(sender: UserId, type: string, messageId: string, messages: Record<UserId, Record<string, JsonObject>>): Promise<number>;
  /** Federation: a local user's devices and cross-signing keys as other servers see them. */
  localDeviceSnapshot(userId: UserId): Promise<federated.LocalDeviceSnapshot>;
  /** Federation: be told when a local user's device list changes (to send m.device_list_update). */
  onLocalDeviceListChange(listener: (change: LocalDeviceListChange) => void): () => void;
  /** For the accounts work: devices were deleted. Drops their keys and pending messages, and tells others. */
  onDevicesDeleted(userId: UserId, deviceIds: readonly DeviceId[]): Promise<void>;
}

export function createE2eService(deps: E2eServiceDeps): E2eService {
  const ctx = createE2eContext(deps);
  // Seed both stream generators now (one query each), so sync positions are ready before the first request.
  let seeded: { toDevice: StreamIdGenerator; deviceLists: StreamIdGenerator } | null = null;
  void Promise.all([ctx.toDeviceIds(), ctx.deviceListIds()]).then(
    ([toDeviceIds, deviceListIds]) => {
      seeded = { toDevice: toDeviceIds, deviceLists: deviceListIds };
    },
    (err: unknown) => deps.logger.error({ err }, 'e2e stream ids could not be seeded'),
  );
  const service: E2eService = {
    uploadKeys: (requester, body) => keys.uploadKeys(ctx, requester, body),
    queryKeys: (requester, deviceKeys, timeoutMs) => keys.queryKeys(ctx, requester, deviceKeys, timeoutMs),
    claimKeys: (_requester, oneTimeKeys, timeoutMs) => keys.claimKeys(ctx, oneTimeKeys, timeoutMs),
    deviceListChanges: (userId, from, to, known) => lists.deviceListChanges(ctx, userId, from, to, known),

    sendToDevice: (requester, type, txnId, messages) => toDevice.sendToDevice(ctx, requester, type, txnId, messages),
    syncToDevice: (userId, deviceId, since, upTo, limit) => toDevice.syncToDevice(ctx, userId, deviceId, since, upTo, limit),

    oneTimeKeyCounts: (userId, deviceId) => keys.oneTimeKeyCounts(ctx, userId, deviceId),
    unusedFallbackKeyTypes: (userId, deviceId) => deps.storage.e2e.getUnusedFallbackKeyTypes(userId, deviceId),
    async currentPositions() {
      const [toDeviceIds, deviceListIds] = await Promise.all([ctx.toDeviceIds(), ctx.deviceListIds()]);
      return { toDevice: toDeviceIds.currentToken(), deviceLists: deviceListIds.currentToken() };
    },
    positionsNow() {
      const s: { toDevice: StreamIdGenerator; deviceLists: StreamIdGenerator } | null = seeded;
      return s === null ? { toDevice: 0, deviceLists: 0 } : { toDevice: s.toDevice.currentToken(), deviceLists: s.deviceLists.currentToken() };
    },

    crossSigningUploadNeedsAuth: (requester, body) => xsign.crossSigningUploadNeedsAuth(ctx, requester, body),
    uploadCrossSigningKeys: (requester, body) => xsign.uploadCrossSigningKeys(ctx, requester, body),
    uploadSignatures: (requester, body) => uploadSignatures(ctx, requester, body),

    createBackupVersion: (requester, algorithm, authData) => backup.createBackupVersion(ctx, requester, algorithm, authData),
    getBackupVersion: (requester, version) => backup.getBackupVersion(ctx, requester, version),
    updateBackupVersion: (requester, version, body) => backup.updateBackupVersion(ctx, requester, version, body),
    deleteBackupVersion: (requester, version) => backup.deleteBackupVersion(ctx, requester, version),
    putRoomKeys: (requester, version, rooms) => backup.putRoomKeys(ctx, requester, version, rooms),
    getAllRoomKeys: (requester, version) => backup.getAllRoomKeys(ctx, requester, version),
    getRoomKeysOfRoom: (requester, version, roomId) => backup.getRoomKeysOfRoom(ctx, requester, version, roomId),
    getRoomKey: (requester, version, roomId, sessionId) => backup.getRoomKey(ctx, requester, version, roomId, sessionId),
    deleteRoomKeys: (requester, version, roomId, sessionId) => backup.deleteRoomKeys(ctx, requester, version, roomId, sessionId),

    applyRemoteDeviceListChange: (userId) => federated.applyRemoteDeviceListChange(ctx, userId),
    deliverRemoteToDevice: (sender, type, messageId, messages) => federated.deliverRemoteToDevice(ctx, sender, type, messageId, messages),
    localDeviceSnapshot: (userId) => federated.localDeviceSnapshot(ctx, userId),
    onLocalDeviceListChange(listener) {
      ctx.localDeviceListListeners.add(listener);
      return () => ctx.localDeviceListListeners.delete(listener);
    },
    async onDeviceChanged(userId) {
      await ctx.recordDeviceListChange([userId], (streamId) => deps.storage.e2e.markDeviceListsChanged([userId], streamId));
    },
    async onDevicesDeleted(userId, deviceIds) {
      if (deviceIds.length === 0) return;
      await ctx.recordDeviceListChange([userId], (streamId) => deps.storage.e2e.deleteDevices(userId, deviceIds, streamId), {
        deviceIds,
        deleted: true,
      });
    },
  };
  deps.deviceEvents?.onDeviceChange(async (change) => {
    if (change.deleted && change.deleted.length > 0) await service.onDevicesDeleted(change.userId, change.deleted);
    if ((change.created?.length ?? 0) > 0 || (change.renamed?.length ?? 0) > 0) await service.onDeviceChanged(change.userId);
  });
  return service;
}
