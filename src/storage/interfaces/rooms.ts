import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { Pdu, StateKey } from '../../types/pdu.js';
import type { PushEvaluationBatch } from './push.js';
import type { RelationRow, SearchRow } from './index-rows.js';

// The room store: events, the DAG, state snapshots, current state and memberships (tables of
// migrations/0002_rooms.ts). The room writer (src/rooms) is the only caller of the write methods; sync and
// the read endpoints use the read methods. Implemented once in src/storage/knex.

export type Membership = 'join' | 'invite' | 'leave' | 'ban' | 'knock';

export interface StoredEvent {
  eventId: EventId;
  roomId: RoomId;
  streamOrdering: number;
  depth: number;
  pdu: Pdu;
  outlier: boolean;
  softFailed: boolean;
  rejectedReason: string | null;
  /** The state event this one replaced (state events only). */
  replacesState: EventId | null;
  /** The redaction applied to this event, if any. */
  redactedBy: EventId | null;
  receivedTs: number;
}

export interface MembershipRow {
  roomId: RoomId;
  userId: UserId;
  membership: Membership;
  eventId: EventId;
  streamOrdering: number;
}

export interface RoomRow {
  roomId: RoomId;
  roomVersion: string;
  creator: UserId | null;
  isPublic: boolean;
  createdTs: number;
}

export type Direction = 'f' | 'b';

/**
 * A room joined with partial state (send_join with omit_members): until the background resync stores the
 * full state, our events go to `servers` (the resident's servers_in_room) and member lists wait.
 */
export interface PartialStateRoom {
  roomId: RoomId;
  joinEventId: EventId;
  /** The resident server the join went through (asked first for the full state). */
  joinedVia: string;
  servers: string[];
}

/** Read side: what sync, /messages, /context, /members and friends need. */
export interface RoomReadStore {
  getRoom(roomId: RoomId): Promise<RoomRow | undefined>;
  getEvent(eventId: EventId): Promise<StoredEvent | undefined>;
  getEvents(eventIds: Iterable<EventId>): Promise<Map<EventId, StoredEvent>>;
  /** The stream ordering of each of these events that is stored (the events themselves not read). */
  getStreamOrderings(eventIds: readonly EventId[]): Promise<Map<EventId, number>>;
  /** The highest stream ordering persisted and visible (every lower id committed). */
  getMaxStreamOrdering(): Promise<number>;
  /** The lowest stream ordering (0 when none is negative): backfilled events and outliers go below it. */
  getMinStreamOrdering(): Promise<number>;

  getCurrentStateIds(roomId: RoomId): Promise<Map<StateKey, EventId>>;
  /**
   * A mark that moves whenever the room's current state changes (the highest stream ordering of its
   * current-state deltas; every state write has fresh orderings): lets readers cache what they derive from it.
   */
  getCurrentStateMark(roomId: RoomId): Promise<number>;
  getCurrentStateEvent(roomId: RoomId, type: string, stateKey: string): Promise<StoredEvent | undefined>;
  getStateIdsBeforeEvent(eventId: EventId): Promise<Map<StateKey, EventId> | undefined>;
  getStateIdsAfterEvent(eventId: EventId): Promise<Map<StateKey, EventId> | undefined>;
  /** State after the last timeline event of the room with stream_ordering <= position. */
  getStateIdsAtStreamOrdering(roomId: RoomId, position: number): Promise<Map<StateKey, EventId>>;

  /** Current memberships of a user, optionally only some kinds. */
  getRoomsForUser(userId: UserId, memberships?: readonly Membership[]): Promise<MembershipRow[]>;
  /** Current member rows of a room (all users), optionally only some kinds. */
  getRoomMembers(roomId: RoomId, memberships?: readonly Membership[]): Promise<MembershipRow[]>;
  /** Server names of the room's joined members (each once). */
  getJoinedServers(roomId: RoomId): Promise<string[]>;
  /** Joined members with the displayname of their current member event (push evaluation: one query per event). */
  getJoinedMemberNames(roomId: RoomId): Promise<Array<{ userId: UserId; displayName: string | null }>>;
  /** Membership events of a user with from < stream_ordering <= to, in stream order. */
  getMembershipChangesForUser(userId: UserId, from: number, to: number): Promise<MembershipRow[]>;
  /** The user's membership as of stream position `position` in a room (undefined if never a member). */
  getMembershipAt(roomId: RoomId, userId: UserId, position: number): Promise<MembershipRow | undefined>;
  /** Every membership event of a user in one room, in stream order. */
  getMembershipHistoryInRoom(roomId: RoomId, userId: UserId): Promise<MembershipRow[]>;

  /**
   * Timeline events of a room (not outliers, not soft-failed, not rejected) with
   * from < stream_ordering <= to, newest first when dir 'b' (oldest first when 'f'), at most `limit`.
   */
  getRoomEventsInRange(roomId: RoomId, from: number, to: number, dir: Direction, limit: number): Promise<StoredEvent[]>;
  /** Of the given rooms, those with timeline events in (from, to]. */
  getRoomsChangedSince(roomIds: readonly RoomId[], from: number, to: number): Promise<Set<RoomId>>;
  /** Changes of current state with from < stream_ordering <= to, for these rooms, in stream order. */
  getCurrentStateDeltas(
    roomIds: readonly RoomId[],
    from: number,
    to: number,
  ): Promise<Array<{ streamOrdering: number; roomId: RoomId; type: string; stateKey: string; eventId: EventId | null }>>;

  getForwardExtremities(roomId: RoomId): Promise<EventId[]>;
  /** prev events of timeline events that we do not hold: where backfill continues. */
  getBackwardExtremities(roomId: RoomId): Promise<EventId[]>;
  /** The event a client transaction created, if the same (user, device, txn) was seen before. */
  getTxnEvent(userId: UserId, deviceId: string, txnId: string): Promise<EventId | undefined>;

  /** The room's partial-state record while its full state is not yet known. */
  getPartialStateRoom(roomId: RoomId): Promise<PartialStateRoom | undefined>;
  /** Every room still waiting for its full state (resynced at start). */
  getPartialStateRooms(): Promise<PartialStateRoom[]>;


  // Batched reads for syncs over many rooms (an initial sync in 1,000 rooms): one statement per kind and
  // chunk of rooms instead of one per room; each answers what the single-room read of the same name does.
  /**
   * getRoomEventsInRange(roomId, from, to, 'b', limit) for each request, in the order given (newest first
   * within each).
   */
  getRoomEventsBeforeMany(requests: ReadonlyArray<{ roomId: RoomId; from: number; to: number }>, limit: number): Promise<StoredEvent[][]>;
  /** getStateIdsBeforeEvent of each event; events without recorded state are left out. */
  getStateIdsBeforeEvents(eventIds: readonly EventId[]): Promise<Map<EventId, Map<StateKey, EventId>>>;
  /** getMembershipHistoryInRoom of each room (every room given has an entry, possibly empty). */
  getMembershipHistoriesInRooms(roomIds: readonly RoomId[], userId: UserId): Promise<Map<RoomId, MembershipRow[]>>;
  /** getCurrentStateMark of each room. */
  getCurrentStateMarks(roomIds: readonly RoomId[]): Promise<Map<RoomId, number>>;
  /** getRoomMembers of each room (every room given has an entry, possibly empty). */
  getRoomMembersOfRooms(roomIds: readonly RoomId[], memberships?: readonly Membership[]): Promise<Map<RoomId, MembershipRow[]>>;
  /** Server names of the joined members of any of these rooms (each once): getJoinedServers over many rooms. */
  getJoinedServersOfRooms(roomIds: readonly RoomId[]): Promise<Set<string>>;
  /** getRoom of each room that exists. */
  getRooms(roomIds: readonly RoomId[]): Promise<Map<RoomId, RoomRow>>;
  /** getCurrentStateIds of each room (every room given has an entry). */
  getCurrentStateIdsOfRooms(roomIds: readonly RoomId[]): Promise<Map<RoomId, Map<StateKey, EventId>>>;

  getAliasesForRoom(roomId: RoomId): Promise<string[]>;
  getRoomIdForAlias(alias: string): Promise<{ roomId: RoomId; servers: string[] } | undefined>;
  getPublicRoomIds(): Promise<RoomId[]>;
}

/** One event to persist, with everything the writer computed for it. */
export interface EventToPersist {
  eventId: EventId;
  pdu: Pdu;
  roomId: RoomId;
  depth: number;
  outlier: boolean;
  softFailed: boolean;
  rejectedReason: string | null;
  /**
   * State before the event as a full map (the writer computed it); the store decides how to delta-encode. Not
   * changed once handed over: the store may know a map it saw before by its identity.
   */
  stateBefore: ReadonlyMap<StateKey, EventId> | null;
  /**
   * Built and signed by this server just now (a room draft): it cannot be stored already, so the store skips
   * looking for an outlier copy to promote. Events from elsewhere leave it unset.
   */
  builtHere?: boolean;
  /** Client transaction that created it, recorded in the same database transaction. */
  txn?: { userId: UserId; deviceId: string; txnId: string };
  /**
   * m.room.redaction events only: the writer decided the redaction may be applied to its target now
   * (same sender, or a sender with the redact level), so the store sets the target's redacted_by.
   */
  redactionApplies?: boolean;
}

/** One room's events for RoomWriteStore.persistEvents. */
export interface PersistEventBatch {
  roomId: RoomId;
  events: ReadonlyArray<EventToPersist & { streamOrdering: number }>;
  newForwardExtremities: readonly EventId[] | null;
  newCurrentState: ReadonlyMap<StateKey, EventId> | null;
  /** A new room's row, inserted in the same transaction as its first events (createRoom). */
  room?: RoomRow;
  /** Marks the room as joined with partial state, in the same transaction (a partial-state join). */
  partialState?: PartialStateRoom;
}

/**
 * Rows derived from a group's events, written in the group's transaction so a send costs one commit, not one
 * for the events and one for each reader that would otherwise derive them afterwards.
 */
export interface DerivedRows {
  /** The local members' push actions and gateway deliveries (src/push). */
  push?: PushEvaluationBatch;
  /**
   * Relation and search rows (src/rooms/relations). `advance`: the group's events are exactly the orderings
   * (from, to], so the index `name`'s position moves to `to` if it stands in [from, to) (everything before
   * was indexed already); otherwise the indexer's own pass covers the gap later (the rows are idempotent).
   */
  index?: {
    name: string;
    advance: { from: number; to: number } | null;
    relations: readonly RelationRow[];
    search: readonly SearchRow[];
    redacted: readonly EventId[];
  };
}

/** Write side, used only by the room writer in src/rooms (one writer per room). */
export interface RoomWriteStore {
  createRoom(row: RoomRow): Promise<void>;
  /**
   * Persists a batch of events of ONE room atomically: events, state groups,
   * forward extremities, current state (when `newCurrentState` is given), memberships, txn ids, redactions.
   * `streamOrderings` are allocated by the caller from the events stream generator.
   */
  persistEvents(batch: PersistEventBatch): Promise<void>;
  /**
   * Persists several batches (of one room or several) in ONE transaction, in the order given, so a later
   * batch may build on an earlier one: the room writer's group commit (src/rooms/group-commit.ts). Either
   * all of them land or none does, together with `derived`.
   */
  persistEventBatches(batches: readonly PersistEventBatch[], derived?: DerivedRows): Promise<void>;
  /**
   * Ends a room's partial state in one transaction: stores the state events it lacked (outliers), replaces
   * the state recorded before and after each event since the join with the full state, sets the current
   * state, and drops the partial-state mark. `softFailed`: events since the join that the full state soft-fails
   * (marked, their memberships dropped from the member history); `newForwardExtremities` then replaces the
   * room's extremities.
   */
  completePartialState(batch: {
    roomId: RoomId;
    events: ReadonlyArray<EventToPersist & { streamOrdering: number }>;
    eventStates: ReadonlyArray<{ eventId: EventId; stateBefore: ReadonlyMap<StateKey, EventId>; stateAfter: ReadonlyMap<StateKey, EventId> }>;
    newCurrentState: ReadonlyMap<StateKey, EventId>;
    softFailed?: readonly EventId[];
    newForwardExtremities?: readonly EventId[];
  }): Promise<void>;
  /**
   * State groups that no event refers to, directly or as the delta base of a group an event refers to, by
   * room (about `limit` at most). Reads only, holds no lock; the answer may be stale by the time it is used.
   */
  findDeadStateGroups(limit: number): Promise<Map<RoomId, number[]>>;
  /**
   * Deletes those of `ids` (groups of `roomId`, from findDeadStateGroups) that are still unreferenced, in one
   * transaction, and returns them. Call under the room's writer lock. Rooms in partial state are skipped.
   */
  deleteDeadStateGroups(roomId: RoomId, ids: readonly number[]): Promise<number[]>;
  setRoomPublic(roomId: RoomId, isPublic: boolean): Promise<void>;
  createAlias(alias: string, roomId: RoomId, creator: UserId, servers: readonly string[]): Promise<boolean>;
  deleteAlias(alias: string): Promise<boolean>;
  /** Moves every alias of `from` to `to` (room upgrades); returns the aliases moved. */
  moveAliases(from: RoomId, to: RoomId): Promise<string[]>;

  // Forgotten rooms (POST /rooms/{roomId}/forget). A later invite, knock or join of the user clears the mark
  // (persistEvents does that in the same transaction).
  forgetRoom(userId: UserId, roomId: RoomId): Promise<void>;
  isRoomForgotten(userId: UserId, roomId: RoomId): Promise<boolean>;
  /** The rooms a user has forgotten (sync leaves them out of `leave`). */
  getForgottenRoomIds(userId: UserId): Promise<Set<RoomId>>;

  // Inbound federation transactions (PUT /send/{txnId}): the answer recorded per (origin, txn id), so a
  // retried transaction is answered again without reprocessing its PDUs.
  getInboundTxnResponse(origin: string, txnId: string): Promise<string | undefined>;
  putInboundTxnResponse(origin: string, txnId: string, responseJson: string, receivedTs: number): Promise<void>;
}

export interface RoomStore extends RoomReadStore, RoomWriteStore {}
