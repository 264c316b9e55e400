import type { ClientEvent, RoomVersion } from '../protocol/index.js';
import { boundedRoomVersions, serializeEvents, type RelationsBundler, type SharedLookups } from '../rooms/index.js';
import type { RoomReadStore, StoredEvent } from '../storage/interfaces/index.js';
import type { RoomId } from '../types/ids.js';
import type { Requester } from '../types/requester.js';
import { BatchLoader } from './batch-loader.js';

// Client formatting of the events sync returns, through the read side's serializer (unsigned.prev_content,
// redacted_because, age, transaction_id for the sending device), without room_id inside room sections.

/** What the section builders serialize their events with. */
export interface SyncSerializer {
  serialize(events: readonly StoredEvent[], requester: Requester | null, shared?: SharedLookups): Promise<ClientEvent[]>;
}

/** Events per serializeEvents call of a coalesced batch: keeps each of its IN (...) lists well inside the bind limits. */
const MAX_BATCH_EVENTS = 2_000;

export class SyncEventSerializer implements SyncSerializer {
  private readonly roomVersions = new Map<RoomId, RoomVersion>();

  constructor(
    private readonly store: RoomReadStore,
    private readonly now: () => number,
    private readonly bundleRelations?: RelationsBundler,
  ) {}

  /** `shared`: reads shared with the other syncs at the same position (relations aggregation). */
  serialize(events: readonly StoredEvent[], requester: Requester | null, shared?: SharedLookups): Promise<ClientEvent[]> {
    return serializeEvents(events, {
      roomVersions: boundedRoomVersions(this.roomVersions),
      ...(shared ? { shared } : {}),
      store: this.store,
      now: this.now(),
      requester: requester ? { userId: requester.userId, deviceId: requester.deviceId } : null,
      includeRoomId: false,
      ...(this.bundleRelations ? { bundleRelations: this.bundleRelations } : {}),
    });
  }
}

/**
 * One computation's serializer for side-by-side room builders (batched-reads.ts): the lists they ask for in
 * one round go through one serializeEvents call (one room-version, transaction-id and relations read per
 * round instead of per room). Each event's client form does not depend on the other events of the call.
 */
export function batchedSerializer(inner: SyncSerializer, requester: Requester | null, shared?: SharedLookups): SyncSerializer {
  let next = 0;
  const loader = new BatchLoader<{ id: number; events: readonly StoredEvent[] }, ClientEvent[]>(
    (r) => String(r.id),
    async (requests) => {
      const out: ClientEvent[][] = [];
      let group: Array<(typeof requests)[number]> = [];
      let size = 0;
      const flush = async () => {
        const all = await inner.serialize(group.flatMap((r) => r.events), requester, shared);
        let at = 0;
        for (const r of group) {
          out.push(all.slice(at, at + r.events.length));
          at += r.events.length;
        }
        group = [];
        size = 0;
      };
      for (const r of requests) {
        if (size > 0 && size + r.events.length > MAX_BATCH_EVENTS) await flush();
        group.push(r);
        size += r.events.length;
      }
      if (group.length > 0) await flush();
      return out;
    },
  );
  return {
    serialize(events, req, sharedLookups) {
      // Only this computation's own viewer and lookups are coalesced; anything else is served on its own.
      if (req !== requester || sharedLookups !== shared) return inner.serialize(events, req, sharedLookups);
      if (events.length === 0) return Promise.resolve([]);
      return loader.get({ id: next++, events });
    },
  };
}
