import type { ClientEvent, RoomVersion } from '../protocol/index.js';
import { serializeEvents, type RelationsBundler, type SharedLookups } from '../rooms/index.js';
import type { RoomReadStore, StoredEvent } from '../storage/interfaces/index.js';
import type { RoomId } from '../types/ids.js';
import type { Requester } from '../types/requester.js';

/** Room versions remembered (immutable per room); past this many the oldest half is dropped. */
const MAX_ROOM_VERSIONS = 50_000;

// Client formatting of the events sync returns, through the read side's serializer (unsigned.prev_content,
// redacted_because, age, transaction_id for the sending device), without room_id inside room sections.

export class SyncEventSerializer {
  private readonly roomVersions = new Map<RoomId, RoomVersion>();

  constructor(
    private readonly store: RoomReadStore,
    private readonly now: () => number,
    private readonly bundleRelations?: RelationsBundler,
  ) {}

  /** `shared`: reads shared with the other syncs at the same position (relations aggregation). */
  serialize(events: readonly StoredEvent[], requester: Requester | null, shared?: SharedLookups): Promise<ClientEvent[]> {
    if (this.roomVersions.size > MAX_ROOM_VERSIONS) {
      let drop = this.roomVersions.size / 2;
      for (const k of this.roomVersions.keys()) {
        if (drop-- <= 0) break;
        this.roomVersions.delete(k);
      }
    }
    return serializeEvents(events, {
      roomVersions: this.roomVersions,
      ...(shared ? { shared } : {}),
      store: this.store,
      now: this.now(),
      requester: requester ? { userId: requester.userId, deviceId: requester.deviceId } : null,
      includeRoomId: false,
      ...(this.bundleRelations ? { bundleRelations: this.bundleRelations } : {}),
    });
  }
}
