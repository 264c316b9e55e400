import type { EventId, RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { Requester } from '../types/requester.js';
import type { RoomVersion } from '../protocol/index.js';
import type { RoomEvent, StateKey } from '../types/pdu.js';

// The public surface of the room writer (shared contract: route layers and other services code against it).

export type CreateRoomPreset = 'private_chat' | 'trusted_private_chat' | 'public_chat';

/** The body of POST /createRoom (validated by the route). */
export interface CreateRoomRequest {
  visibility?: 'public' | 'private';
  room_alias_name?: string;
  name?: string;
  topic?: string;
  invite?: string[];
  invite_3pid?: JsonObject[];
  room_version?: string;
  creation_content?: JsonObject;
  initial_state?: Array<{ type: string; state_key?: string; content: JsonObject }>;
  preset?: CreateRoomPreset;
  is_direct?: boolean;
  power_level_content_override?: JsonObject;
}

export interface JoinOptions {
  servers?: readonly string[];
  reason?: string;
}

/** The writer's entry for events built by other servers (used by src/federation through main.ts). */
export interface RemoteRoomInput {
  knowsRoom(roomId: RoomId): Promise<boolean>;
  /** Auth checks on receipt (auth events, state before, soft-fail) and persistence; throws M_FORBIDDEN when rejected. */
  receive(
    roomId: RoomId,
    event: RoomEvent,
    opts?: { prevStates?: ReadonlyMap<EventId, ReadonlyMap<StateKey, EventId>> },
  ): Promise<{ outcome: 'accepted' | 'soft_failed' | 'duplicate' }>;
  /** State and auth events fetched to fill a gap, stored as outliers once their auth events allow them. */
  storeOutliers(roomId: RoomId, events: readonly RoomEvent[]): Promise<{ stored: EventId[]; rejected: Map<EventId, string> }>;
  /**
   * Older timeline events (backfill), stored below everything in stream order. `prevStates`: the state after
   * prev events we do not hold.
   */
  persistBackfilled(
    roomId: RoomId,
    events: readonly RoomEvent[],
    prevStates: ReadonlyMap<EventId, ReadonlyMap<StateKey, EventId>>,
  ): Promise<{ stored: EventId[]; rejected: Map<EventId, string> }>;
  /** The unsigned membership event for make_join / make_leave / make_knock (M_FORBIDDEN if not allowed). */
  membershipTemplate(
    roomId: RoomId,
    userId: UserId,
    membership: 'join' | 'leave' | 'knock',
    content?: JsonObject,
  ): Promise<{ event: Record<string, unknown>; version: RoomVersion }>;
  /** Throws 403 M_INVITE_BLOCKED when the local user blocks invites (m.invite_permission_config). */
  assertInviteAllowed(userId: UserId): Promise<void>;
  /** send_join of a restricted join we are to countersign: throws unless the joiner still qualifies. */
  checkRestrictedJoin(roomId: RoomId, userId: UserId): Promise<void>;
  /** Stores a room joined over federation: its state and auth chain (outliers) and our join event. */
  persistJoinedRoom(
    roomId: RoomId,
    version: RoomVersion,
    state: readonly RoomEvent[],
    authChain: readonly RoomEvent[],
    join: RoomEvent,
    partial?: { joinedVia: string; servers: readonly string[] },
  ): Promise<void>;
  /**
   * The full state before our partial-state join arrived (resync): stores it, re-checks the events since
   * the join against it, and ends the room's partial state. Null when the room was not partial-state.
   */
  completePartialState(roomId: RoomId, state: readonly RoomEvent[], authChain: readonly RoomEvent[]): Promise<PartialStateOutcome | null>;
  /** A remote invite of a local user (or the leave rejecting it) in a room we have no joined member in. */
  storeOutOfRoomMembership(roomId: RoomId, version: RoomVersion, event: RoomEvent): Promise<void>;
}

export interface SendOptions {
  /** origin_server_ts to give the event (an application service's `?ts=`); the route decides who may set it. */
  ts?: number;
  /**
   * Called (and may throw, e.g. M_LIMIT_EXCEEDED) only when a new event is about to be created: a retried
   * transaction id or an identical state event returns the existing event without it, as in Synapse.
   */
  beforeCreate?: () => void;
}

export interface PartialStateOutcome {
  /** State events stored that we lacked. */
  added: number;
  /** Events since the join re-checked against the full state. */
  rechecked: number;
  /** Of those, the ones the full state does not allow (kept, logged; see partial-state.ts). */
  disallowed: EventId[];
  /** Of those, the ones soft-failed now: the complete current state on arrival would not allow them. */
  softFailed: EventId[];
}

export interface RoomService {
  /** Events from other servers (federation). */
  readonly remote: RemoteRoomInput;
  createRoom(requester: Requester, body: CreateRoomRequest): Promise<{ room_id: RoomId; room_alias?: string }>;
  sendMessageEvent(requester: Requester, roomId: RoomId, type: string, content: JsonObject, txnId: string, opts?: SendOptions): Promise<{ event_id: EventId }>;
  sendStateEvent(requester: Requester, roomId: RoomId, type: string, stateKey: string, content: JsonObject, opts?: SendOptions): Promise<{ event_id: EventId }>;
  redact(requester: Requester, roomId: RoomId, eventId: EventId, reason: string | undefined, txnId: string, opts?: SendOptions): Promise<{ event_id: EventId }>;
  join(requester: Requester, roomIdOrAlias: string, opts?: JoinOptions): Promise<{ room_id: RoomId }>;
  invite(requester: Requester, roomId: RoomId, userId: UserId, reason?: string): Promise<void>;
  kick(requester: Requester, roomId: RoomId, userId: UserId, reason?: string): Promise<void>;
  ban(requester: Requester, roomId: RoomId, userId: UserId, reason?: string): Promise<void>;
  unban(requester: Requester, roomId: RoomId, userId: UserId, reason?: string): Promise<void>;
  leave(requester: Requester, roomId: RoomId, reason?: string): Promise<void>;
  knock(requester: Requester, roomIdOrAlias: string, opts?: JoinOptions): Promise<{ room_id: RoomId }>;
  forget(requester: Requester, roomId: RoomId): Promise<void>;
  upgradeRoom(
    requester: Requester,
    roomId: RoomId,
    newVersion: string,
    additionalCreators?: readonly UserId[],
  ): Promise<{ replacement_room: RoomId }>;
  /** Sends a fresh join event carrying the user's current profile into every room they are joined to. */
  propagateProfile(userId: UserId): Promise<void>;
  /** Leaves every room (and rejects every invite, retracts every knock): account deactivation. */
  leaveAllRooms(userId: UserId): Promise<void>;
  /**
   * Joins many local users to a room this server is in, each join built and auth-checked as a normal join,
   * several hundred per transaction (in-process tooling: benchmarks that need a room of thousands).
   */
  joinLocalUsers(roomId: RoomId, userIds: readonly UserId[]): Promise<void>;
  /** Garbage collection of state groups no event refers to (state-group-gc.ts); main.ts starts and stops it. */
  readonly stateGroupGc: StateGroupGc;
}

export interface StateGroupGc {
  /** One collection now: groups found dead, and groups deleted (found dead by this run and the one before). */
  run(): Promise<{ found: number; deleted: number }>;
  /** Runs every `intervalMs` (0: never) until stop(). */
  start(intervalMs: number): void;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}
