import type { StateResStore } from '../protocol/index.js';
import type { RoomReadStore } from '../storage/interfaces/index.js';
import type { EventId } from '../types/ids.js';
import type { RoomEvent } from '../types/pdu.js';

// State resolution over the room store, for events received over federation. Auth chains are walked
// breadth-first in batches (one query per level), which stays cheap for the depth of real auth chains.

function authIds(ev: RoomEvent): EventId[] {
  return ev.pdu.auth_events.map((ref) => (typeof ref === 'string' ? ref : ref[0]));
}

export function storeStateResStore(store: RoomReadStore, extra: ReadonlyMap<EventId, RoomEvent> = new Map()): StateResStore {
  const getEvents = async (ids: Iterable<EventId>): Promise<Map<EventId, RoomEvent>> => {
    const out = new Map<EventId, RoomEvent>();
    const missing: EventId[] = [];
    for (const id of ids) {
      const hit = extra.get(id);
      if (hit !== undefined) out.set(id, hit);
      else missing.push(id);
    }
    if (missing.length > 0) {
      for (const [id, ev] of await store.getEvents(missing)) out.set(id, { eventId: id, pdu: ev.pdu });
    }
    return out;
  };
  return {
    getEvents,
    async getAuthChain(ids) {
      const seen = new Set<EventId>();
      let frontier = [...(await getEvents(ids)).values()];
      while (frontier.length > 0) {
        const next: EventId[] = [];
        for (const ev of frontier) {
          for (const a of authIds(ev)) {
            if (!seen.has(a)) {
              seen.add(a);
              next.push(a);
            }
          }
        }
        frontier = next.length > 0 ? [...(await getEvents(next)).values()] : [];
      }
      return seen;
    },
    async getRejected(ids) {
      const out = new Set<EventId>();
      for (const [id, ev] of await store.getEvents(ids)) if (ev.rejectedReason !== null) out.add(id);
      return out;
    },
  };
}
