import type { AuthService } from '../auth/index.js';
import { badJson, notFound } from '../errors/index.js';
import type { Logger } from '../http/logger.js';
import type { AccountStore, DeviceRecord } from '../storage/interfaces/index.js';
import type { DeviceId, UserId } from '../types/ids.js';

// Devices: listing, renaming, deleting (with their tokens), and telling interested parties (E2EE keys,
// device-list updates) when devices appear or go.

/** Synapse's limit; longer names are refused rather than cut. */
export const MAX_DEVICE_DISPLAY_NAME_LENGTH = 100;

export interface DeviceChange {
  userId: UserId;
  created?: readonly DeviceId[];
  deleted?: readonly DeviceId[];
  renamed?: readonly DeviceId[];
}

export type DeviceListener = (change: DeviceChange) => void | Promise<void>;

/** The client-facing shape (spec: device_management.yaml). */
export interface ClientDevice {
  device_id: string;
  display_name?: string;
  last_seen_ip?: string;
  last_seen_ts?: number;
}

export function clientDevice(d: DeviceRecord): ClientDevice {
  return {
    device_id: d.deviceId,
    ...(d.displayName !== null ? { display_name: d.displayName } : {}),
    ...(d.lastSeenIp !== null ? { last_seen_ip: d.lastSeenIp } : {}),
    ...(d.lastSeenTs !== null ? { last_seen_ts: d.lastSeenTs } : {}),
  };
}

export class Devices {
  private readonly listeners: DeviceListener[] = [];

  constructor(
    private readonly store: AccountStore,
    private readonly auth: AuthService,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  onChange(listener: DeviceListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Creates the device unless the user already has it; true when it was created. */
  async ensure(userId: UserId, deviceId: DeviceId, displayName: string | null): Promise<boolean> {
    checkDisplayName(displayName);
    const created = await this.store.ensureDevice(userId, deviceId, displayName, this.now());
    if (created) await this.emit({ userId, created: [deviceId] });
    return created;
  }

  async list(userId: UserId): Promise<ClientDevice[]> {
    return (await this.store.listDevices(userId)).map(clientDevice);
  }

  async get(userId: UserId, deviceId: DeviceId): Promise<ClientDevice> {
    const d = await this.store.getDevice(userId, deviceId);
    if (d === null) throw notFound('Device not found');
    return clientDevice(d);
  }

  async rename(userId: UserId, deviceId: DeviceId, displayName: string | null): Promise<void> {
    checkDisplayName(displayName);
    if (!(await this.store.setDeviceDisplayName(userId, deviceId, displayName))) throw notFound('Device not found');
    await this.emit({ userId, renamed: [deviceId] });
  }

  /** Deletes devices and their tokens; `deviceIds` null: all except `exceptDeviceId`. Missing devices are ignored. */
  async delete(userId: UserId, deviceIds: readonly DeviceId[] | null, exceptDeviceId: DeviceId | null = null): Promise<DeviceId[]> {
    const deleted = await this.store.deleteDevices(userId, deviceIds, exceptDeviceId);
    this.auth.forgetCachedTokens(userId, deviceIds === null ? undefined : deviceIds);
    if (deleted.length > 0) await this.emit({ userId, deleted });
    return deleted;
  }

  private async emit(change: DeviceChange): Promise<void> {
    for (const l of this.listeners) {
      try {
        await l(change);
      } catch (err) {
        // The device change itself is done; a listener failing (e.g. key cleanup) must not undo or hide it.
        this.logger.error({ err, userId: change.userId }, 'device change listener failed');
      }
    }
  }
}

function checkDisplayName(name: string | null): void {
  if (name !== null && name.length > MAX_DEVICE_DISPLAY_NAME_LENGTH) {
    throw badJson(`Device display name is too long (max ${MAX_DEVICE_DISPLAY_NAME_LENGTH})`);
  }
}
