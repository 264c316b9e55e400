import type { SyncExtension } from '../../sync/index.js';
import type { DeviceId, UserId } from '../../types/ids.js';
import type { DeviceListChanges, DeviceListPositions, KnownMemberships } from './device-lists.js';
import { TO_DEVICE_SYNC_LIMIT, type ToDeviceSyncResult } from './to-device.js';

// The E2EE sections of /sync, plugged into the sync service's extension registry:
// - `to_device` (its own stream position): to_device.events for the requesting device, together with
//   device_one_time_keys_count and device_unused_fallback_key_types (always present for a device, so
//   clients top up keys; they never end a long-poll on their own);
// - `device_lists` (its own stream position): device_lists.changed / left for incremental syncs.
// Their names are part of the sync token format: register them in this order, first, at startup.

export const E2E_SYNC_EXTENSION_NAMES = ['to_device', 'device_lists'] as const;

/** The part of the e2e service the sections read. */
export interface E2eSyncSource {
  positionsNow(): { toDevice: number; deviceLists: number };
  syncToDevice(userId: UserId, deviceId: DeviceId, since: number | null, upTo: number, limit: number | null): Promise<ToDeviceSyncResult>;
  oneTimeKeyCounts(userId: UserId, deviceId: DeviceId): Promise<Record<string, number>>;
  unusedFallbackKeyTypes(userId: UserId, deviceId: DeviceId): Promise<string[]>;
  deviceListChanges(userId: UserId, from: DeviceListPositions, to: DeviceListPositions, known?: KnownMemberships): Promise<DeviceListChanges>;
}

export function e2eSyncExtensions(e2e: E2eSyncSource): SyncExtension[] {
  const toDevice: SyncExtension = {
    name: 'to_device',
    currentPosition: () => e2e.positionsNow().toDevice,
    async build(ctx) {
      const { userId, deviceId } = ctx.requester;
      if (deviceId === null) return { fields: {}, hasUpdates: false };
      // At most TO_DEVICE_SYNC_LIMIT messages per response, as Synapse does; the next token then resumes
      // after the last one delivered, so nothing is acknowledged (and deleted) before the client has it.
      const { events, position } = await e2e.syncToDevice(userId, deviceId, ctx.since, ctx.to, TO_DEVICE_SYNC_LIMIT);
      const [counts, fallbackTypes] = await Promise.all([e2e.oneTimeKeyCounts(userId, deviceId), e2e.unusedFallbackKeyTypes(userId, deviceId)]);
      return {
        fields: {
          to_device: { events },
          device_one_time_keys_count: counts,
          device_unused_fallback_key_types: fallbackTypes,
        },
        hasUpdates: events.length > 0,
        position,
      };
    },
  };
  const deviceLists: SyncExtension = {
    name: 'device_lists',
    currentPosition: () => e2e.positionsNow().deviceLists,
    async build(ctx) {
      // Initial syncs carry no device_lists: the client fetches every tracked user's keys anyway.
      if (ctx.since === null || ctx.sinceEvents === null) return { fields: {}, hasUpdates: false };
      const changes = await e2e.deviceListChanges(
        ctx.requester.userId,
        { events: ctx.sinceEvents, deviceLists: ctx.since },
        { events: ctx.toEvents, deviceLists: ctx.to },
        ctx.membershipChanges !== null ? { joinedRooms: ctx.joinedRooms, membershipChanges: ctx.membershipChanges, shared: ctx.shared } : undefined,
      );
      return { fields: { device_lists: changes }, hasUpdates: changes.changed.length > 0 || changes.left.length > 0 };
    },
  };
  return [toDevice, deviceLists];
}
