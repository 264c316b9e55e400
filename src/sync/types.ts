import type { RoomSummaryCache } from './room-summary.js';
import type { ClientEvent } from '../protocol/index.js';
import type { MembershipRow, RoomReadStore, UserDataStore } from '../storage/interfaces/index.js';
import type { RoomId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { Requester } from '../types/requester.js';
import type { SyncFilterJson } from './filter.js';
import type { SyncSerializer } from './serialize.js';
import type { SyncRoomReads } from './shared-reads.js';
import type { IgnoredUsersCache } from './ignored-users-cache.js';
import type { SyncPositions } from './tokens.js';
import type { TypingTracker } from './typing.js';

// Shapes of the /sync response (spec data/api/client-server/sync.yaml) and of the context every section
// builder receives.

export interface Timeline {
  events: ClientEvent[];
  limited: boolean;
  prev_batch: string;
}

export interface JoinedRoomSection {
  timeline: Timeline;
  state?: { events: ClientEvent[] };
  state_after?: { events: ClientEvent[] };
  /** MSC4222's unstable name, for clients that asked with org.matrix.msc4222.use_state_after. */
  'org.matrix.msc4222.state_after'?: { events: ClientEvent[] };
  ephemeral: { events: JsonObject[] };
  account_data: { events: JsonObject[] };
  summary: JsonObject;
  unread_notifications?: JsonObject;
}

export interface LeftRoomSection {
  timeline: Timeline;
  state?: { events: ClientEvent[] };
  state_after?: { events: ClientEvent[] };
  'org.matrix.msc4222.state_after'?: { events: ClientEvent[] };
  account_data: { events: JsonObject[] };
}

export interface SyncResponseBody {
  next_batch: string;
  rooms?: {
    join?: Record<RoomId, JoinedRoomSection>;
    invite?: Record<RoomId, { invite_state: { events: JsonObject[] } }>;
    knock?: Record<RoomId, { knock_state: { events: JsonObject[] } }>;
    leave?: Record<RoomId, LeftRoomSection>;
  };
  account_data?: { events: JsonObject[] };
  presence?: { events: JsonObject[] };
  /** Extension sections (to_device, device_lists, ...) are added by their owners. */
  [extra: string]: unknown;
}

export type StateAfterField = 'state_after' | 'org.matrix.msc4222.state_after';

/** Everything a section builder needs for one /sync computation. */
export interface SyncComputation {
  requester: Requester;
  filter: SyncFilterJson;
  /** null for an initial sync. */
  since: SyncPositions | null;
  to: SyncPositions;
  fullState: boolean;
  useStateAfter: boolean;
  /** Where state_after goes: the stable name, or MSC4222's unstable one when the client asked that way. */
  stateAfterField: StateAfterField;
  rooms: RoomReadStore;
  /** Room reads shared with the other syncs at the same `to` (shared-reads.ts); read-only results. */
  reads: SyncRoomReads;
  /** Shared across the syncs of this process (room-summary.ts). */
  summaries?: RoomSummaryCache;
  userData: UserDataStore;
  /** Ignore lists kept across syncs (ignored-users.ts); without it each computation reads the list. */
  ignoredUsers?: IgnoredUsersCache;
  typing: TypingTracker;
  serializer: SyncSerializer;
}

/** How the user's memberships moved between `since` and `to` (see room-lists.ts). */
export interface RoomLists {
  /** Joined at `to` and given an incremental section (joined before `since`, not full_state). */
  joinedIncremental: MembershipRow[];
  /** Joined at `to` and given a full section (initial, full_state, or joined since `since`). */
  joinedFull: MembershipRow[];
  invited: MembershipRow[];
  knocked: MembershipRow[];
  left: MembershipRow[];
  /** Every room joined at `to`. */
  allJoined: RoomId[];
  /** Rooms the user was joined to at `since` but no longer is at `to`. */
  newlyLeft: RoomId[];
  /** Rooms joined at `to` that were not joined at `since` (empty for an initial sync). */
  newlyJoined: RoomId[];
  /** The user's membership events in (since, to]; null for an initial sync. */
  changes: readonly MembershipRow[] | null;
}
