import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { Direction, RoomReadStore } from '../../storage/interfaces/index.js';

// Reads the knex read store offers beyond RoomReadStore (src/storage/knex/room-read-store.ts). They are not
// yet part of the storage interface (owned by the room writer's work), so the reader detects them and falls
// back to slower paths built on the interface when a store lacks them.

export interface RoomReadExtras {
  getTxnIdsForEvents(userId: UserId, deviceId: string, eventIds: readonly EventId[]): Promise<Map<EventId, string>>;
  getEventNearTimestamp(roomId: RoomId, ts: number, dir: Direction): Promise<{ eventId: EventId; originServerTs: number } | undefined>;
  getAlias(alias: string): Promise<{ roomId: RoomId; servers: string[]; creator: UserId | null } | undefined>;
}

function has<K extends keyof RoomReadExtras>(store: object, name: K): boolean {
  return typeof (store as Partial<Record<K, unknown>>)[name] === 'function';
}

/** The extra reads `store` implements, bound to it. */
export function readExtras(store: RoomReadStore): Partial<RoomReadExtras> {
  const s = store as RoomReadStore & Partial<RoomReadExtras>;
  const out: Partial<RoomReadExtras> = {};
  if (has(s, 'getTxnIdsForEvents') && s.getTxnIdsForEvents) out.getTxnIdsForEvents = s.getTxnIdsForEvents.bind(s);
  if (has(s, 'getEventNearTimestamp') && s.getEventNearTimestamp) out.getEventNearTimestamp = s.getEventNearTimestamp.bind(s);
  if (has(s, 'getAlias') && s.getAlias) out.getAlias = s.getAlias.bind(s);
  return out;
}
