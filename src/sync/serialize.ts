import type { ClientEvent } from '../protocol/index.js';
import { serializeEvents, type RelationsBundler } from '../rooms/index.js';
import type { RoomReadStore, StoredEvent } from '../storage/interfaces/index.js';
import type { Requester } from '../types/requester.js';

// Client formatting of the events sync returns, through the read side's serializer (unsigned.prev_content,
// redacted_because, age, transaction_id for the sending device), without room_id inside room sections.

export class SyncEventSerializer {
  constructor(
    private readonly store: RoomReadStore,
    private readonly now: () => number,
    private readonly bundleRelations?: RelationsBundler,
  ) {}

  serialize(events: readonly StoredEvent[], requester: Requester | null): Promise<ClientEvent[]> {
    return serializeEvents(events, {
      store: this.store,
      now: this.now(),
      requester: requester ? { userId: requester.userId, deviceId: requester.deviceId } : null,
      includeRoomId: false,
      ...(this.bundleRelations ? { bundleRelations: this.bundleRelations } : {}),
    });
  }
}
