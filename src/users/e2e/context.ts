import type { Config } from '../../config/types.js';
import type { Logger } from '../../http/logger.js';
import type { StreamIdGenerator, Storage } from '../../storage/interfaces/index.js';
import type { NoticeSink } from '../../types/notices.js';
import type { UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';

// What every part of the e2e service shares: dependencies, stream id generators and notice publishing.

/**
 * Where remote users' keys come from. Federation implements it later (/_matrix/federation/v1/user/keys/query
 * and /claim); until then remote servers are reported under `failures`.
 */
export interface RemoteKeysPort {
  queryKeys(server: string, deviceKeys: Record<UserId, string[]>, timeoutMs: number): Promise<JsonObject>;
  claimKeys(server: string, oneTimeKeys: Record<UserId, Record<string, string>>, timeoutMs: number): Promise<JsonObject>;
  /** Sends to-device messages for users of `server` (an m.direct_to_device EDU). */
  sendToDevice(server: string, sender: UserId, type: string, messageId: string, messages: Record<UserId, Record<string, JsonObject>>): Promise<void>;
}

/** What the accounts work reports when devices appear, are renamed or go (users service onDeviceChange). */
export interface DeviceChangeNotice {
  userId: UserId;
  created?: readonly string[];
  deleted?: readonly string[];
  renamed?: readonly string[];
}

export interface DeviceEventsPort {
  onDeviceChange(listener: (change: DeviceChangeNotice) => void | Promise<void>): () => void;
}

/**
 * A local user's device list or cross-signing keys changed (federation sends m.device_list_update /
 * m.signing_key_update). `deviceIds` names the devices concerned when known; `crossSigning` marks a change
 * of cross-signing keys; neither means "something changed, send everything".
 */
export interface LocalDeviceListChange {
  userId: UserId;
  streamId: number;
  deviceIds?: readonly string[];
  deleted?: boolean;
  crossSigning?: boolean;
}

export interface E2eServiceDeps {
  config: Config;
  logger: Logger;
  storage: Storage;
  notices: NoticeSink;
  now: () => number;
  /** Absent until federation lands. */
  remote?: RemoteKeysPort;
  /** Device lifecycle events, so deleted devices lose their keys and new ones reach other users' device lists. */
  deviceEvents?: DeviceEventsPort;
}

/** Stream tables; storage.streamIdGenerator hands out their ids. See migrations/0006_e2e.ts. */
export const DEVICE_LISTS_STREAM = { table: 'device_lists_stream', column: 'stream_id' } as const;
export const TO_DEVICE_STREAM = { table: 'to_device_sends', column: 'stream_id' } as const;

export interface E2eContext extends E2eServiceDeps {
  deviceListIds(): Promise<StreamIdGenerator>;
  toDeviceIds(): Promise<StreamIdGenerator>;
  isLocal(userId: UserId): boolean;
  /**
   * Writes a device-list change with a fresh position and publishes it after commit. The notice names the
   * rooms the users are joined to, so the sync notifier wakes everybody who shares a room with them.
   */
  recordDeviceListChange(
    userIds: readonly UserId[],
    write: (streamId: number) => Promise<void>,
    detail?: Omit<LocalDeviceListChange, 'userId' | 'streamId'>,
  ): Promise<number>;
  /** Listeners told about local users' device-list changes (see LocalDeviceListChange). */
  localDeviceListListeners: Set<(change: LocalDeviceListChange) => void>;
}

export function createE2eContext(deps: E2eServiceDeps): E2eContext {
  const { storage, notices } = deps;
  const serverName = deps.config.serverName;
  const localDeviceListListeners = new Set<(change: LocalDeviceListChange) => void>();
  const isLocal = (userId: UserId) => userId.slice(userId.indexOf(':') + 1) === serverName;
  return {
    ...deps,
    deviceListIds: () => storage.streamIdGenerator(DEVICE_LISTS_STREAM.table, DEVICE_LISTS_STREAM.column),
    toDeviceIds: () => storage.streamIdGenerator(TO_DEVICE_STREAM.table, TO_DEVICE_STREAM.column),
    isLocal,
    localDeviceListListeners,
    async recordDeviceListChange(userIds, write, detail) {
      const gen = await storage.streamIdGenerator(DEVICE_LISTS_STREAM.table, DEVICE_LISTS_STREAM.column);
      const allocation = gen.getNext();
      try {
        await write(allocation.id);
      } finally {
        allocation.done();
      }
      const roomIds = new Set<string>();
      for (const userId of userIds) {
        for (const m of await storage.rooms.getRoomsForUser(userId, ['join'])) roomIds.add(m.roomId);
      }
      notices.publish({ stream: 'device_lists', position: allocation.id, userIds: [...userIds], roomIds: [...roomIds] });
      for (const userId of userIds) {
        if (!isLocal(userId)) continue;
        for (const listener of localDeviceListListeners) {
          try {
            listener({ userId, streamId: allocation.id, ...detail });
          } catch (err) {
            deps.logger.warn({ err, userId }, 'device-list listener failed');
          }
        }
      }
      return allocation.id;
    },
  };
}
