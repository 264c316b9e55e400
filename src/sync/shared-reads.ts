import type { SharedLookups } from '../rooms/index.js';
import type { RoomReadStore, StoredEvent } from '../storage/interfaces/index.js';
import type { EventId, RoomId } from '../types/ids.js';
import type { StateKey } from '../types/pdu.js';

/*
 * Room reads shared by the /sync computations that run at the same events position.
 *
 * One message in a room wakes the long-polls of all its members at once, and every woken sync reads the same
 * things: the room's new timeline slice, the state before its first event, the senders' member events, the
 * room version. Done per sync, a 1,000-member room costs 1,000 copies of each read. Here the first sync to
 * ask starts the read and every other sync at the same `to` position awaits the same promise.
 *
 * Why keying by `to` is safe: what these reads return can only change through a new event (a redaction, a
 * state change, a partial-state resync all take a new stream ordering), and a new event moves `to`; a sync
 * at an older `to` than the newest seen reads straight through. Results are shared objects: callers must not
 * change them (the types say so).
 */

/** Entries one generation may hold; past it reads go straight to the store (a burst of unrelated syncs). */
const MAX_ENTRIES = 20_000;
/** How long one generation is kept while the events position stands still. */
const MAX_AGE_MS = 5_000;
/** Longest room list whose "changed since" answer is shared (longer lists are per user anyway). */
const MAX_SHARED_ROOM_LIST = 16;

export interface SyncRoomReads extends SharedLookups {
  /** The store behind: everything not shared here. */
  readonly store: RoomReadStore;
  roomEventsBefore(roomId: RoomId, from: number, cursor: number, limit: number): Promise<readonly StoredEvent[]>;
  stateBeforeEvent(eventId: EventId): Promise<ReadonlyMap<StateKey, EventId> | undefined>;
  stateAt(roomId: RoomId, position: number): Promise<ReadonlyMap<StateKey, EventId>>;
  events(eventIds: Iterable<EventId>): Promise<ReadonlyMap<EventId, StoredEvent>>;
  roomsChangedSince(roomIds: readonly RoomId[], from: number, to: number): Promise<ReadonlySet<RoomId>>;
  /** RoomReadStore.getCurrentStateMark (what the room summary cache is checked against). */
  currentStateMark(roomId: RoomId): Promise<number>;
}

/** Reads through the store with no sharing (syncs behind the newest position). */
export function directReads(store: RoomReadStore): SyncRoomReads {
  return {
    store,
    roomEventsBefore: (roomId, from, cursor, limit) => store.getRoomEventsInRange(roomId, from, cursor, 'b', limit),
    stateBeforeEvent: (eventId) => store.getStateIdsBeforeEvent(eventId),
    stateAt: (roomId, position) => store.getStateIdsAtStreamOrdering(roomId, position),
    events: (ids) => store.getEvents(ids),
    roomsChangedSince: (roomIds, from, to) => store.getRoomsChangedSince(roomIds, from, to),
    currentStateMark: (roomId) => store.getCurrentStateMark(roomId),
    once: (_key, load) => load(),
  };
}

class GenerationReads implements SyncRoomReads {
  private readonly memo = new Map<string, Promise<unknown>>();
  private readonly direct: SyncRoomReads;

  constructor(readonly store: RoomReadStore) {
    this.direct = directReads(store);
  }

  /** The promise for `key`, started by `load` when nobody asked yet; a failed read is not remembered. */
  once<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.memo.get(key) as Promise<T> | undefined;
    if (hit !== undefined) return hit;
    if (this.memo.size >= MAX_ENTRIES) return load();
    const p = load();
    this.memo.set(key, p);
    p.catch(() => {
      if (this.memo.get(key) === p) this.memo.delete(key);
    });
    return p;
  }

  roomEventsBefore(roomId: RoomId, from: number, cursor: number, limit: number): Promise<readonly StoredEvent[]> {
    return this.once(`t\0${roomId}\0${from}\0${cursor}\0${limit}`, () => this.direct.roomEventsBefore(roomId, from, cursor, limit));
  }

  stateBeforeEvent(eventId: EventId): Promise<ReadonlyMap<StateKey, EventId> | undefined> {
    return this.once(`b\0${eventId}`, () => this.direct.stateBeforeEvent(eventId));
  }

  stateAt(roomId: RoomId, position: number): Promise<ReadonlyMap<StateKey, EventId>> {
    return this.once(`s\0${roomId}\0${position}`, () => this.direct.stateAt(roomId, position));
  }

  async events(eventIds: Iterable<EventId>): Promise<ReadonlyMap<EventId, StoredEvent>> {
    const ids = [...new Set(eventIds)];
    const pending = new Map<EventId, Promise<StoredEvent | undefined>>();
    const missing: EventId[] = [];
    for (const id of ids) {
      const hit = this.memo.get(`e\0${id}`) as Promise<StoredEvent | undefined> | undefined;
      if (hit !== undefined) pending.set(id, hit);
      else missing.push(id);
    }
    if (missing.length > 0) {
      // One query for all the missing ids; each id's promise is shared from then on.
      const batch = this.store.getEvents(missing);
      for (const id of missing) pending.set(id, this.once(`e\0${id}`, () => batch.then((m) => m.get(id))));
    }
    const out = new Map<EventId, StoredEvent>();
    for (const id of ids) {
      const e = await pending.get(id);
      if (e !== undefined) out.set(id, e);
    }
    return out;
  }

  roomsChangedSince(roomIds: readonly RoomId[], from: number, to: number): Promise<ReadonlySet<RoomId>> {
    if (roomIds.length > MAX_SHARED_ROOM_LIST) return this.direct.roomsChangedSince(roomIds, from, to);
    const key = `c\0${from}\0${to}\0${[...roomIds].sort().join('\0')}`;
    return this.once(key, () => this.direct.roomsChangedSince(roomIds, from, to));
  }

  currentStateMark(roomId: RoomId): Promise<number> {
    return this.once(`m\0${roomId}`, () => this.direct.currentStateMark(roomId));
  }
}

/** Hands each sync the shared reads of its `to` position; only the newest position's are kept. */
export class SharedSyncReads {
  private position = Number.NEGATIVE_INFINITY;
  private startedAt = 0;
  private current: GenerationReads | null = null;
  private readonly direct: SyncRoomReads;

  constructor(
    private readonly store: RoomReadStore,
    private readonly now: () => number,
  ) {
    this.direct = directReads(store);
  }

  at(eventsPosition: number): SyncRoomReads {
    const t = this.now();
    // A quiet room keeps one position for long: start afresh now and then so a generation never grows old.
    if (eventsPosition > this.position || (eventsPosition === this.position && t - this.startedAt > MAX_AGE_MS)) {
      this.position = eventsPosition;
      this.startedAt = t;
      this.current = new GenerationReads(this.store);
    }
    return eventsPosition === this.position && this.current !== null ? this.current : this.direct;
  }
}
