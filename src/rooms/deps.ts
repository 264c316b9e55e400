import type { Config } from '../config/types.js';
import type { SigningKey } from '../crypto/index.js';
import type { Logger } from '../http/logger.js';
import type { PushEvaluationBatch, Storage, StoredEvent } from '../storage/interfaces/index.js';
import type { NoticeSink } from '../types/notices.js';
import type { RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { Pdu } from '../types/pdu.js';

/** What rooms needs from users/ (wired in main.ts, so neither imports the other). */
export interface ProfileLookup {
  getProfile(userId: UserId): Promise<{ displayname: string | null; avatar_url: string | null }>;
}

/**
 * Membership through other servers, implemented by src/federation and wired in main.ts (rooms must not
 * import federation): joining a room this server is not in.
 */
export interface RemoteMembershipPort {
  /** Joins `userId` to a room we are not in through one of `servers` (make_join / send_join). */
  join(userId: UserId, roomId: RoomId, servers: readonly string[], content: JsonObject): Promise<void>;
  /** Knocks on a room we are not in through one of `servers` (make_knock / send_knock). */
  knock(userId: UserId, roomId: RoomId, servers: readonly string[], content: JsonObject): Promise<void>;
  /** Resolves another server's room alias (federation query/directory): the room and servers to join through. */
  resolveAlias(alias: string): Promise<{ room_id: RoomId; servers: string[] }>;
  /** Leaves (rejects an invite to) a room we are not in through one of `servers` (make_leave / send_leave). */
  leave(userId: UserId, roomId: RoomId, servers: readonly string[], content: JsonObject): Promise<void>;
  /**
   * Asks the invitee's server to countersign an invite we built (federation /invite v2); returns the
   * event with its signature. `inviteRoomState`: the room state shown to the invitee before joining.
   */
  invite(roomId: RoomId, roomVersion: string, event: Pdu, inviteRoomState: readonly JsonObject[]): Promise<Pdu>;
}

/**
 * Push evaluation of events about to be written (src/push, wired in main.ts): the local members' push
 * actions and gateway deliveries, written in the same transaction as the events (derived-rows.ts).
 */
export interface PushActionsPort {
  /**
   * Rows for `events` (in stream order, one group commit; `batch` null when there is nothing to write).
   * `rooms.from`: rooms whose state before the group is the state after their last committed group (the
   * evaluator may go on from what it knew then); `rooms.drafts`: rooms whose state after the group follows
   * from these events alone. `committed` is called once the rows landed.
   */
  evaluate(events: readonly StoredEvent[], rooms: { from: ReadonlySet<RoomId>; drafts: ReadonlySet<RoomId> }): Promise<{ batch: PushEvaluationBatch | null; committed(): void }>;
}

export interface RoomServiceDeps {
  /** Absent: rooms on other servers cannot be joined (404). */
  remoteMembership?: RemoteMembershipPort;
  config: Config;
  logger: Logger;
  storage: Storage;
  signingKey: SigningKey;
  notices: NoticeSink;
  profiles: ProfileLookup;
  now: () => number;
  /** Absent: no push actions are written (tests of rooms alone). */
  pushActions?: PushActionsPort;
  /**
   * Told after a group commit that moved the relations/search index over (from, to] with its events (the
   * indexer then knows it has nothing to read for them).
   */
  indexAdvanced?: (from: number, to: number) => void;
}
