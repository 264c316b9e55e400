import type { InboxRow, Storage } from '../storage/interfaces/index.js';
import type { JsonObject } from '../types/json.js';
import { isInterestedInRoom, type RoomFacts } from './interest.js';
import type { AppserviceEntry } from './registry.js';

// What an application service doing end-to-end encryption for its users needs in its transactions:
// - to-device messages for its users' devices (MSC2409 / MSC4203), read from the durable device inbox by
//   stream position, so they are delivered exactly once like events;
// - device-list changes of users it shares rooms with (MSC3202 `device_lists`; `left` is not computed,
//   as in Synapse);
// - one-time key counts and unused fallback key types of its users' devices (MSC3202), for the users the
//   transaction concerns (Synapse's choice: the sender, its users in the rooms of the transaction and the
//   to-device recipients).

/** Stream tables of the to-device and device-list streams (see migrations/0006_e2e.ts). */
const TO_DEVICE_STREAM = ['to_device_sends', 'stream_id'] as const;
const DEVICE_LISTS_STREAM = ['device_lists_stream', 'stream_id'] as const;

export interface DevicePositions {
  toDevice: number;
  deviceLists: number;
}

/** The service wants to-device messages: ephemeral delivery plus the MSC3202 encryption extensions. */
export function wantsToDevice(entry: AppserviceEntry): boolean {
  return entry.reg.receiveEphemeral && entry.reg.msc3202;
}

export function wantsDeviceData(entry: AppserviceEntry): boolean {
  return entry.reg.msc3202 || wantsToDevice(entry);
}

/** The highest positions of both streams that are safe to read (every lower id committed). */
export async function currentDevicePositions(storage: Storage): Promise<DevicePositions> {
  const [toDevice, deviceLists] = await Promise.all([storage.streamIdGenerator(...TO_DEVICE_STREAM), storage.streamIdGenerator(...DEVICE_LISTS_STREAM)]);
  return { toDevice: toDevice.currentToken(), deviceLists: deviceLists.currentToken() };
}

export interface ToDeviceBatch {
  /** In the transaction's shape: type, sender, content, to_user_id, to_device_id. */
  messages: JsonObject[];
  position: number;
}

/**
 * To-device messages for the service's users in (from, to], at most about `limit`. One send can put many
 * rows under one stream id; a batch never ends in the middle of a stream id, so the position stays exact.
 */
export async function collectToDevice(entry: AppserviceEntry, storage: Storage, from: number, to: number, limit: number): Promise<ToDeviceBatch> {
  if (from >= to) return { messages: [], position: from };
  let rows = await storage.appservices.getToDeviceInRange(from, to, limit);
  let position = to;
  if (rows.length >= limit) {
    const last = rows[rows.length - 1]?.streamId ?? to;
    const kept = rows.filter((r) => r.streamId < last);
    // A single stream id with more rows than the limit is taken whole.
    rows = kept.length > 0 ? kept : await storage.appservices.getToDeviceInRange(last - 1, last, Number.MAX_SAFE_INTEGER);
    position = kept.length > 0 ? last - 1 : last;
  }
  const messages = rows.filter((r) => entry.isInterestedInUser(r.userId)).map(toDeviceMessage);
  return { messages, position };
}

function toDeviceMessage(row: InboxRow): JsonObject {
  return { ...row.message, to_user_id: row.userId, to_device_id: row.deviceId };
}

/** Users whose device list changed in (from, to] and who are the service's users or share a room it is interested in. */
export async function collectDeviceListChanges(entry: AppserviceEntry, storage: Storage, facts: RoomFacts, from: number, to: number): Promise<string[]> {
  if (from >= to) return [];
  const changed: string[] = [];
  for (const userId of await storage.e2e.getDeviceListChanges(from, to)) {
    if (entry.isInterestedInUser(userId)) {
      changed.push(userId);
      continue;
    }
    for (const m of await storage.rooms.getRoomsForUser(userId, ['join'])) {
      if (await isInterestedInRoom(entry, m.roomId, facts)) {
        changed.push(userId);
        break;
      }
    }
  }
  return changed.sort();
}

export interface KeyCounts {
  otkCounts: Record<string, Record<string, Record<string, number>>>;
  fallbackTypes: Record<string, Record<string, string[]>>;
}

/** One-time key counts (signed_curve25519 always present, as in /sync) and unused fallback key types per device. */
export async function collectKeyCounts(storage: Storage, userIds: Iterable<string>): Promise<KeyCounts> {
  const out: KeyCounts = { otkCounts: {}, fallbackTypes: {} };
  for (const userId of userIds) {
    const devices = await storage.accounts.listDevices(userId);
    if (devices.length === 0) continue;
    const counts: Record<string, Record<string, number>> = {};
    const fallbacks: Record<string, string[]> = {};
    for (const d of devices) {
      counts[d.deviceId] = { signed_curve25519: 0, ...(await storage.e2e.countOneTimeKeys(userId, d.deviceId)) };
      fallbacks[d.deviceId] = await storage.e2e.getUnusedFallbackKeyTypes(userId, d.deviceId);
    }
    out.otkCounts[userId] = counts;
    out.fallbackTypes[userId] = fallbacks;
  }
  return out;
}

/** The service's users the transaction concerns: its sender, its users joined to the rooms involved, the to-device recipients. */
export async function usersConcerned(entry: AppserviceEntry, facts: RoomFacts, roomIds: Iterable<string>, toDevice: readonly JsonObject[]): Promise<Set<string>> {
  const users = new Set<string>([entry.senderUserId]);
  for (const roomId of new Set(roomIds)) {
    for (const u of await facts.joinedMembers(roomId)) if (entry.isUserInNamespace(u)) users.add(u);
  }
  for (const m of toDevice) if (typeof m.to_user_id === 'string') users.add(m.to_user_id);
  return users;
}
