import type { DeviceId, EventId, RoomId, UserId } from '../../types/ids.js';
import type { JsonObject, JsonValue } from '../../types/json.js';

// Push storage (tables of migrations/0008_push.ts): user push rules and overrides of rules' enabled/actions,
// per-user push actions of notifying events, pushers and the durable gateway delivery queue.
// Rule, condition and action values are kept as the spec's JSON; the service validates them.

export interface StoredPushRule {
  kind: string;
  ruleId: string;
  /** Higher first within a kind. */
  priority: number;
  /** The rule as the spec's JSON (rule_id, actions, conditions/pattern, enabled). */
  rule: JsonObject;
}

export interface StoredPushRuleOverride {
  kind: string;
  ruleId: string;
  enabled: boolean | null;
  actions: JsonValue[] | null;
}

/** Where a user has read a room up to (push/counts.ts): one position for every thread, and later ones of some. */
export interface UnreadFloor {
  after: number;
  threads: ReadonlyMap<string, number>;
  /** Only rows at or before this stream position (the position a sync response covers); all when absent. */
  upTo?: number;
}

/** Unread rows of one thread: those that notify and those that highlight. */
export interface ThreadCounts {
  notify: number;
  highlight: number;
}

export interface PushActionRow {
  userId: UserId;
  eventId: EventId;
  roomId: RoomId;
  streamOrdering: number;
  threadId: string;
  notify: boolean;
  highlight: boolean;
  actions: JsonValue[];
  ts: number;
}

export interface PusherRow {
  id: number;
  userId: UserId;
  accessTokenId: number | null;
  /** The device that set it (null for device-less tokens, e.g. an appservice's); it goes with the device. */
  deviceId: DeviceId | null;
  kind: string;
  appId: string;
  pushkey: string;
  appDisplayName: string;
  deviceDisplayName: string;
  profileTag: string | null;
  lang: string;
  data: JsonObject;
  createdTs: number;
}

export interface PushQueueRow {
  id: number;
  pusherId: number;
  userId: UserId;
  eventId: EventId;
  roomId: RoomId;
  actions: JsonValue[];
  attempts: number;
  nextAttemptTs: number;
}

export interface PushEvaluationBatch {
  actions: readonly PushActionRow[];
  queue: ReadonlyArray<Omit<PushQueueRow, 'id' | 'attempts'>>;
  /** The evaluator's row of stream_positions; null leaves it where it is. */
  position: { stream: string; instance: string; value: number } | null;
}

export interface PushStore {
  getUserRules(userId: UserId): Promise<StoredPushRule[]>;
  getUserOverrides(userId: UserId): Promise<StoredPushRuleOverride[]>;
  /** Inserts or replaces a user rule. */
  putUserRule(userId: UserId, rule: StoredPushRule): Promise<void>;
  /** False when there was no such rule. Also drops the rule's override. */
  deleteUserRule(userId: UserId, kind: string, ruleId: string): Promise<boolean>;
  /** Merges the given fields into the override of (kind, ruleId) (undefined leaves a field unchanged). */
  putOverride(userId: UserId, kind: string, ruleId: string, change: { enabled?: boolean; actions?: JsonValue[] }): Promise<void>;

  /** Stores push actions (a row that exists for the same user and event is kept). */
  addPushActions(rows: readonly PushActionRow[]): Promise<void>;
  /**
   * What one pass of push evaluation produced, in one transaction: its push actions, the deliveries it
   * queued and the stream position it reached (so a restart resumes exactly after what was written).
   */
  recordEvaluation(batch: PushEvaluationBatch): Promise<void>;
  /**
   * A user's unread rows of one room, counted per thread id: those past `floor.after` and, in a thread
   * `floor.threads` names, past that thread's own position.
   */
  countUnreadPushActions(userId: UserId, roomId: RoomId, floor: UnreadFloor): Promise<Map<string, ThreadCounts>>;
  /** Rooms where the user has push action rows with stream_ordering > after. */
  getRoomsWithPushActions(userId: UserId, after: number): Promise<RoomId[]>;
  /** A user's rows newest first with stream_ordering < before (all when null), optionally highlights only. */
  getNotifications(userId: UserId, opts: { before: number | null; limit: number; onlyHighlight: boolean }): Promise<PushActionRow[]>;

  /**
   * Moves the oldest stored push actions, about `maxRows` of them (whole events), from where new rows are
   * written to where a user's rows are kept together; returns how many it moved (0: nothing waiting). Readers
   * see every row before, during and after a move.
   */
  rotatePushActions(maxRows: number): Promise<number>;
  /** Whether new push actions are ever staged (SQLite); when not, only rows an earlier run staged can be waiting. */
  readonly stagesPushActions: boolean;

  /** Rooms with timeline events in (from, to], each with its highest stream ordering there (catch-up after a restart). */
  getRoomsWithEventsInRange(from: number, to: number): Promise<Array<{ roomId: RoomId; maxStreamOrdering: number }>>;

  getPushers(userId: UserId): Promise<PusherRow[]>;
  /** The pushers of several users (push evaluation of one event), each user's in id order. */
  getPushersOfUsers(userIds: readonly UserId[]): Promise<PusherRow[]>;
  getPusherById(id: number): Promise<PusherRow | undefined>;
  /** Inserts or updates the pusher keyed by (user, app_id, pushkey); returns its id. */
  upsertPusher(row: Omit<PusherRow, 'id'>): Promise<number>;
  deletePusher(userId: UserId, appId: string, pushkey: string): Promise<void>;
  /** Removes the pushers (and their pending deliveries) set by these devices of the user. */
  deletePushersOfDevices(userId: UserId, deviceIds: readonly DeviceId[]): Promise<void>;
  /** Deletes pushers of other users with this app_id and pushkey (POST /pushers/set without append). */
  deletePushersOfOthers(userId: UserId, appId: string, pushkey: string): Promise<void>;

  enqueuePush(rows: ReadonlyArray<Omit<PushQueueRow, 'id' | 'attempts'>>): Promise<void>;
  /** Rows due at `now`, oldest first. */
  duePushes(now: number, limit: number): Promise<PushQueueRow[]>;
  /** Earliest next_attempt_ts of any row, or null when the queue is empty. */
  nextPushDue(): Promise<number | null>;
  deletePush(id: number): Promise<void>;
  reschedulePush(id: number, attempts: number, nextAttemptTs: number): Promise<void>;
}
