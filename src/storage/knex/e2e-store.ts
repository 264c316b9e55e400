import type { Knex } from 'knex';
import type {
  BackupVersionRow,
  ClaimedKey,
  CrossSigningKeyType,
  E2eStore,
  InboxMessage,
  OneTimeKeyRow,
  RoomKeyData,
  RoomKeyRow,
  SignatureRow,
  StoredCrossSigningKey,
  ToDeviceMessage,
} from '../interfaces/index.js';
import type { JsonObject } from '../../types/json.js';
import type { Dialect } from './dialect.js';
import * as keys from './e2e-device-keys.js';
import * as xsign from './e2e-cross-signing.js';
import * as inbox from './e2e-to-device.js';
import * as backup from './e2e-backup.js';
import { CoalescedReads } from './coalesced-reads.js';
import { CommitCache } from './commit-cache.js';

/** Devices per coalesced key-count read (coalesced-reads.ts). */
const DEVICE_BATCH = 500;
/** Devices whose key counts are kept at most; past it the cache starts over. */
const MAX_KEPT_DEVICES = 50_000;

function deviceKey(userId: string, deviceId: string): string {
  return `${userId}\n${deviceId}`;
}

type DeviceKey = { userId: string; deviceId: string };

/** The knex implementation of E2eStore; each concern lives in its own e2e-*.ts file. */
export class KnexE2eStore implements E2eStore {
  /** Every woken /sync reports its device's key counts: the syncs woken together read them together. */
  private readonly otkCounts = new CoalescedReads<DeviceKey, Record<string, number>>((d) => keys.countOneTimeKeysOfDevices(this.knex, d), DEVICE_BATCH);
  private readonly fallbackTypes = new CoalescedReads<DeviceKey, string[]>((d) => keys.getUnusedFallbackKeyTypesOfDevices(this.knex, d), DEVICE_BATCH);
  /**
   * And they change far less often than syncs come (an upload, a claim by someone starting a session): kept
   * per device until one of the writes below changes them (commit-cache.ts). The keys' tables are written
   * only here.
   */
  private readonly keptCounts = new CommitCache<string, Record<string, number>>({ weigh: () => 1, copy: (c) => ({ ...c }), maxWeight: MAX_KEPT_DEVICES });
  private readonly keptFallbackTypes = new CommitCache<string, string[]>({ weigh: () => 1, copy: (t) => [...t], maxWeight: MAX_KEPT_DEVICES });

  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
  ) {}

  getDeviceKeys(userId: string, deviceIds?: readonly string[]): Promise<Map<string, JsonObject>> {
    return keys.getDeviceKeys(this.knex, this.dialect, userId, deviceIds);
  }
  setDeviceKeys(userId: string, deviceId: string, k: JsonObject, streamId: number, now: number): Promise<void> {
    return keys.setDeviceKeys(this.knex, this.dialect, userId, deviceId, k, streamId, now);
  }
  deleteDevices(userId: string, deviceIds: readonly string[], streamId: number): Promise<void> {
    return this.changingKeys(userId, deviceIds, { counts: true, fallback: true }, () => keys.deleteDevices(this.knex, userId, deviceIds, streamId));
  }
  addOneTimeKeys(userId: string, deviceId: string, k: readonly OneTimeKeyRow[], now: number) {
    return this.changingKeys(userId, [deviceId], { counts: true, fallback: false }, () => keys.addOneTimeKeys(this.knex, this.dialect, userId, deviceId, k, now));
  }
  countOneTimeKeys(userId: string, deviceId: string): Promise<Record<string, number>> {
    return this.keptCounts.through(deviceKey(userId, deviceId), () => this.otkCounts.get({ userId, deviceId }));
  }
  claimKey(userId: string, deviceId: string, algorithm: string): Promise<ClaimedKey | undefined> {
    return this.changingKeys(userId, [deviceId], { counts: true, fallback: true }, () => keys.claimKey(this.knex, userId, deviceId, algorithm));
  }
  setFallbackKeys(userId: string, deviceId: string, k: readonly OneTimeKeyRow[]): Promise<void> {
    return this.changingKeys(userId, [deviceId], { counts: false, fallback: true }, () => keys.setFallbackKeys(this.knex, userId, deviceId, k));
  }
  /** Runs a key write, then drops what it may have changed, whether or not it succeeded (a failed one may have changed rows first). */
  private async changingKeys<T>(userId: string, deviceIds: readonly string[], what: { counts: boolean; fallback: boolean }, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      const ids = deviceIds.map((d) => deviceKey(userId, d));
      if (what.counts) this.keptCounts.invalidate(ids);
      if (what.fallback) this.keptFallbackTypes.invalidate(ids);
    }
  }
  getUnusedFallbackKeyTypes(userId: string, deviceId: string): Promise<string[]> {
    return this.keptFallbackTypes.through(deviceKey(userId, deviceId), () => this.fallbackTypes.get({ userId, deviceId }));
  }

  getCrossSigningKeys(userId: string): Promise<Map<CrossSigningKeyType, StoredCrossSigningKey>> {
    return xsign.getCrossSigningKeys(this.knex, userId);
  }
  setCrossSigningKeys(userId: string, k: readonly StoredCrossSigningKey[], streamId: number, now: number): Promise<void> {
    return xsign.setCrossSigningKeys(this.knex, this.dialect, userId, k, streamId, now);
  }
  getSignaturesOn(targetUserId: string, targetKeyIds: readonly string[]): Promise<SignatureRow[]> {
    return xsign.getSignaturesOn(this.knex, targetUserId, targetKeyIds);
  }
  addSignatures(rows: readonly SignatureRow[], changedUsers: readonly string[], streamId: number): Promise<void> {
    return xsign.addSignatures(this.knex, this.dialect, rows, changedUsers, streamId);
  }
  markDeviceListsChanged(userIds: readonly string[], streamId: number): Promise<void> {
    return xsign.markDeviceListsChanged(this.knex, this.dialect, userIds, streamId);
  }
  getDeviceListChanges(from: number, to: number, among?: readonly string[]): Promise<Set<string>> {
    return xsign.getDeviceListChanges(this.knex, from, to, among);
  }

  addToDeviceMessages(
    sender: { userId: string; deviceId: string; txnId: string },
    messages: readonly ToDeviceMessage[],
    streamId: number,
    now: number,
  ): Promise<boolean> {
    return inbox.addToDeviceMessages(this.knex, this.dialect, sender, messages, streamId, now);
  }
  getToDeviceMessages(userId: string, deviceId: string, after: number, upTo: number, limit: number): Promise<InboxMessage[]> {
    return inbox.getToDeviceMessages(this.knex, userId, deviceId, after, upTo, limit);
  }
  deleteToDeviceMessages(userId: string, deviceId: string, upTo: number): Promise<number> {
    return inbox.deleteToDeviceMessages(this.knex, userId, deviceId, upTo);
  }

  createBackupVersion(userId: string, algorithm: string, authData: JsonObject): Promise<number> {
    return backup.createBackupVersion(this.knex, this.dialect, userId, algorithm, authData);
  }
  getBackupVersion(userId: string, version?: number): Promise<BackupVersionRow | undefined> {
    return backup.getBackupVersion(this.knex, userId, version);
  }
  updateBackupVersion(userId: string, version: number, authData: JsonObject): Promise<boolean> {
    return backup.updateBackupVersion(this.knex, userId, version, authData);
  }
  deleteBackupVersion(userId: string, version: number): Promise<boolean> {
    return backup.deleteBackupVersion(this.knex, userId, version);
  }
  countRoomKeys(userId: string, version: number): Promise<number> {
    return backup.countRoomKeys(this.knex, userId, version);
  }
  getRoomKeys(userId: string, version: number, roomId?: string, sessionId?: string): Promise<RoomKeyRow[]> {
    return backup.getRoomKeys(this.knex, userId, version, roomId, sessionId);
  }
  putRoomKeys(
    userId: string,
    version: number,
    k: readonly RoomKeyRow[],
    keepExisting: (existing: RoomKeyData, incoming: RoomKeyData) => boolean,
  ): Promise<{ etag: number; count: number }> {
    return backup.putRoomKeys(this.knex, this.dialect, userId, version, k, keepExisting);
  }
  deleteRoomKeys(userId: string, version: number, roomId?: string, sessionId?: string): Promise<{ etag: number; count: number }> {
    return backup.deleteRoomKeys(this.knex, userId, version, roomId, sessionId);
  }
}
