import type { Membership, MembershipRow, RoomReadStore, StoredEvent } from '../storage/interfaces/index.js';
import type { EventId, RoomId, UserId } from '../types/ids.js';
import type { StateKey } from '../types/pdu.js';
import { BatchLoader } from './batch-loader.js';
import type { SyncRoomReads } from './shared-reads.js';

// The reads of one /sync computation whose room sections are built side by side (initial syncs, full_state,
// rooms new to the client): the per-room reads of the timeline, state, history visibility and summary code
// go through BatchLoaders, so 1,000 rooms cost one statement per kind (per chunk) instead of 1,000. The room
// code itself is unchanged, and so is what it computes: each batched read answers what the single-room read
// it stands for does.

/** The store as the room builders see it: the per-room reads they make coalesced, the rest passed through. */
class BatchedRoomStore implements RoomReadStore {
  private readonly eventLoader: BatchLoader<EventId, StoredEvent | undefined>;
  private readonly stateBefore: BatchLoader<EventId, ReadonlyMap<StateKey, EventId> | undefined>;
  private readonly histories: BatchLoader<{ roomId: RoomId; userId: UserId }, MembershipRow[]>;
  private readonly marks: BatchLoader<RoomId, number>;
  private readonly members: BatchLoader<{ roomId: RoomId; memberships: readonly Membership[] | undefined }, MembershipRow[]>;
  private readonly currentState: BatchLoader<RoomId, ReadonlyMap<StateKey, EventId>>;

  constructor(private readonly s: RoomReadStore) {
    this.eventLoader = new BatchLoader(
      (id) => id,
      async (ids) => {
        const found = await s.getEvents(ids);
        return ids.map((id) => found.get(id));
      },
    );
    this.stateBefore = new BatchLoader(
      (id) => id,
      async (ids) => {
        const found = await s.getStateIdsBeforeEvents(ids);
        return ids.map((id) => found.get(id));
      },
    );
    this.histories = new BatchLoader(
      (r) => `${r.userId}\u0000${r.roomId}`,
      (requests) => perGroup(requests, (r) => r.userId, async (group) => {
        const found = await s.getMembershipHistoriesInRooms(group.map((r) => r.roomId), group[0]?.userId ?? '');
        return group.map((r) => found.get(r.roomId) ?? []);
      }),
    );
    this.marks = new BatchLoader(
      (roomId) => roomId,
      async (roomIds) => {
        const found = await s.getCurrentStateMarks(roomIds);
        return roomIds.map((r) => found.get(r) ?? Number.MIN_SAFE_INTEGER);
      },
    );
    this.members = new BatchLoader(
      (r) => `${r.memberships?.join(',') ?? '*'}\u0000${r.roomId}`,
      (requests) => perGroup(requests, (r) => r.memberships?.join(',') ?? '*', async (group) => {
        const found = await s.getRoomMembersOfRooms(group.map((r) => r.roomId), group[0]?.memberships);
        return group.map((r) => found.get(r.roomId) ?? []);
      }),
    );
    this.currentState = new BatchLoader(
      (roomId) => roomId,
      async (roomIds) => {
        const found = await s.getCurrentStateIdsOfRooms(roomIds);
        return roomIds.map((r) => found.get(r) ?? new Map());
      },
    );
  }

  // Coalesced. Answers are shared between the askers of one computation, so the mutable types of the
  // interface are handed out as copies.
  async getEvents(eventIds: Iterable<EventId>): Promise<Map<EventId, StoredEvent>> {
    const ids = [...new Set(eventIds)];
    const found = await Promise.all(ids.map((id) => this.eventLoader.get(id)));
    const out = new Map<EventId, StoredEvent>();
    ids.forEach((id, i) => {
      const e = found[i];
      if (e !== undefined) out.set(id, e);
    });
    return out;
  }
  getEvent(eventId: EventId): Promise<StoredEvent | undefined> {
    return this.eventLoader.get(eventId);
  }
  /** The shared map, not a copy: for the sync's own read-only callers (SyncRoomReads.stateBeforeEvent). */
  stateBeforeShared(eventId: EventId): Promise<ReadonlyMap<StateKey, EventId> | undefined> {
    return this.stateBefore.get(eventId);
  }
  async getStateIdsBeforeEvent(eventId: EventId): Promise<Map<StateKey, EventId> | undefined> {
    const state = await this.stateBefore.get(eventId);
    return state === undefined ? undefined : new Map(state);
  }
  async getMembershipHistoryInRoom(roomId: RoomId, userId: UserId): Promise<MembershipRow[]> {
    return [...(await this.histories.get({ roomId, userId }))];
  }
  getCurrentStateMark(roomId: RoomId): Promise<number> {
    return this.marks.get(roomId);
  }
  async getRoomMembers(roomId: RoomId, memberships?: readonly Membership[]): Promise<MembershipRow[]> {
    return [...(await this.members.get({ roomId, memberships }))];
  }
  async getCurrentStateIds(roomId: RoomId): Promise<Map<StateKey, EventId>> {
    return new Map(await this.currentState.get(roomId));
  }

  // Passed through: not asked per room by the builders, or already batched.
  getRoom(...a: Parameters<RoomReadStore['getRoom']>) {
    return this.s.getRoom(...a);
  }
  getJoinedServersOfRooms(...a: Parameters<RoomReadStore['getJoinedServersOfRooms']>) {
    return this.s.getJoinedServersOfRooms(...a);
  }
  getRooms(...a: Parameters<RoomReadStore['getRooms']>) {
    return this.s.getRooms(...a);
  }
  getStreamOrderings(eventIds: readonly EventId[]) {
    return this.s.getStreamOrderings(eventIds);
  }
  getMaxStreamOrdering() {
    return this.s.getMaxStreamOrdering();
  }
  getMinStreamOrdering() {
    return this.s.getMinStreamOrdering();
  }
  getCurrentStateEvent(...a: Parameters<RoomReadStore['getCurrentStateEvent']>) {
    return this.s.getCurrentStateEvent(...a);
  }
  getStateIdsAfterEvent(...a: Parameters<RoomReadStore['getStateIdsAfterEvent']>) {
    return this.s.getStateIdsAfterEvent(...a);
  }
  getStateIdsAtStreamOrdering(...a: Parameters<RoomReadStore['getStateIdsAtStreamOrdering']>) {
    return this.s.getStateIdsAtStreamOrdering(...a);
  }
  getRoomsForUser(...a: Parameters<RoomReadStore['getRoomsForUser']>) {
    return this.s.getRoomsForUser(...a);
  }
  getJoinedServers(...a: Parameters<RoomReadStore['getJoinedServers']>) {
    return this.s.getJoinedServers(...a);
  }
  getJoinedMemberNames(...a: Parameters<RoomReadStore['getJoinedMemberNames']>) {
    return this.s.getJoinedMemberNames(...a);
  }
  getMembershipChangesForUser(...a: Parameters<RoomReadStore['getMembershipChangesForUser']>) {
    return this.s.getMembershipChangesForUser(...a);
  }
  getMembershipAt(...a: Parameters<RoomReadStore['getMembershipAt']>) {
    return this.s.getMembershipAt(...a);
  }
  getRoomEventsInRange(...a: Parameters<RoomReadStore['getRoomEventsInRange']>) {
    return this.s.getRoomEventsInRange(...a);
  }
  getRoomsChangedSince(...a: Parameters<RoomReadStore['getRoomsChangedSince']>) {
    return this.s.getRoomsChangedSince(...a);
  }
  getCurrentStateDeltas(...a: Parameters<RoomReadStore['getCurrentStateDeltas']>) {
    return this.s.getCurrentStateDeltas(...a);
  }
  getForwardExtremities(...a: Parameters<RoomReadStore['getForwardExtremities']>) {
    return this.s.getForwardExtremities(...a);
  }
  getBackwardExtremities(...a: Parameters<RoomReadStore['getBackwardExtremities']>) {
    return this.s.getBackwardExtremities(...a);
  }
  getTxnEvent(...a: Parameters<RoomReadStore['getTxnEvent']>) {
    return this.s.getTxnEvent(...a);
  }
  getPartialStateRoom(...a: Parameters<RoomReadStore['getPartialStateRoom']>) {
    return this.s.getPartialStateRoom(...a);
  }
  getPartialStateRooms() {
    return this.s.getPartialStateRooms();
  }
  getRoomEventsBeforeMany(...a: Parameters<RoomReadStore['getRoomEventsBeforeMany']>) {
    return this.s.getRoomEventsBeforeMany(...a);
  }
  getStateIdsBeforeEvents(...a: Parameters<RoomReadStore['getStateIdsBeforeEvents']>) {
    return this.s.getStateIdsBeforeEvents(...a);
  }
  getMembershipHistoriesInRooms(...a: Parameters<RoomReadStore['getMembershipHistoriesInRooms']>) {
    return this.s.getMembershipHistoriesInRooms(...a);
  }
  getCurrentStateMarks(...a: Parameters<RoomReadStore['getCurrentStateMarks']>) {
    return this.s.getCurrentStateMarks(...a);
  }
  getRoomMembersOfRooms(...a: Parameters<RoomReadStore['getRoomMembersOfRooms']>) {
    return this.s.getRoomMembersOfRooms(...a);
  }
  getCurrentStateIdsOfRooms(...a: Parameters<RoomReadStore['getCurrentStateIdsOfRooms']>) {
    return this.s.getCurrentStateIdsOfRooms(...a);
  }
  getAliasesForRoom(...a: Parameters<RoomReadStore['getAliasesForRoom']>) {
    return this.s.getAliasesForRoom(...a);
  }
  getRoomIdForAlias(...a: Parameters<RoomReadStore['getRoomIdForAlias']>) {
    return this.s.getRoomIdForAlias(...a);
  }
  getPublicRoomIds() {
    return this.s.getPublicRoomIds();
  }
}

/** Splits requests into groups by `groupOf`, loads each group, and answers in the original order. */
async function perGroup<R, V>(requests: R[], groupOf: (r: R) => string, load: (group: R[]) => Promise<V[]>): Promise<V[]> {
  const groups = new Map<string, number[]>();
  requests.forEach((r, i) => {
    const g = groupOf(r);
    const list = groups.get(g);
    if (list) list.push(i);
    else groups.set(g, [i]);
  });
  const out = new Array<V>(requests.length);
  for (const indexes of groups.values()) {
    const values = await load(indexes.map((i) => requests[i] as R));
    indexes.forEach((i, k) => (out[i] = values[k] as V));
  }
  return out;
}

/** SyncRoomReads for one computation's side-by-side room builders; see the top of this file. */
export function batchedSyncReads(inner: SyncRoomReads): SyncRoomReads {
  const store = new BatchedRoomStore(inner.store);
  const slices = new BatchLoader<{ roomId: RoomId; from: number; to: number; limit: number }, readonly StoredEvent[]>(
    (r) => `${r.roomId}\u0000${r.from}\u0000${r.to}\u0000${r.limit}`,
    (requests) => perGroup(requests, (r) => String(r.limit), (group) => inner.store.getRoomEventsBeforeMany(group, group[0]?.limit ?? 0)),
  );
  return {
    store,
    roomEventsBefore: (roomId, from, cursor, limit) => slices.get({ roomId, from, to: cursor, limit }),
    stateBeforeEvent: (eventId) => store.stateBeforeShared(eventId),
    stateAt: (roomId, position) => inner.stateAt(roomId, position),
    events: (ids) => store.getEvents(ids),
    roomsChangedSince: (roomIds, from, to) => inner.roomsChangedSince(roomIds, from, to),
    currentStateMark: (roomId) => store.getCurrentStateMark(roomId),
    once: (key, load) => inner.once(key, load),
  };
}
