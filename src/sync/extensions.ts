import type { SharedLookups } from '../rooms/index.js';
import type { MembershipRow } from '../storage/interfaces/index.js';
import type { RoomId } from '../types/ids.js';
import type { Requester } from '../types/requester.js';
import type { SyncFilterJson } from './filter.js';
import type { JsonObject } from '../types/json.js';
import type { JoinedRoomSection } from './types.js';

/*
 * Extension registry: how later work adds top-level /sync sections with their own stream, without touching
 * the builders. E2EE registers `to_device`, `device_lists`, `device_one_time_keys_count` and
 * `device_unused_fallback_key_types` this way:
 *
 *   services.sync.registerExtension({
 *     name: 'to_device',                       // stable: its position is appended to every sync token
 *     currentPosition: () => gen.currentToken(),
 *     async build(ctx) {                       // ctx.since is null for an initial sync
 *       const events = await store.toDeviceFor(ctx.requester, ctx.since ?? 0, ctx.to);
 *       return { fields: { to_device: { events } }, hasUpdates: events.length > 0 };
 *     },
 *   });
 *
 * Rules:
 * - Register at startup, before the first /sync, in a fixed order: positions are appended to the token in
 *   registration order, and a token is only meaningful if that order stays the same across restarts (append
 *   new extensions at the end; never remove one, leave it returning empty fields instead).
 * - Publish a StreamNotice for your stream after commit with the concerned userIds (or roomIds) so waiting
 *   long-polls wake; the notifier keys on them, the stream name is only informative.
 * - `hasUpdates` decides whether an incremental long-poll returns now; counts that are always present
 *   (one-time key counts) should report false so they do not end every long-poll.
 * - `fields` are merged into the top level of the response (last writer wins on a clash).
 */

export interface SyncExtensionContext {
  requester: Requester;
  filter: SyncFilterJson;
  /** This extension's position in the `since` token; null for an initial sync. */
  since: number | null;
  /** The position the response covers up to (this extension's currentPosition() when the sync started). */
  to: number;
  fullState: boolean;
  /** Rooms the user is joined to at the end of this sync. */
  joinedRooms: readonly RoomId[];
  /** Rooms joined since `since` (empty for an initial sync). */
  newlyJoinedRooms: readonly RoomId[];
  /** Rooms the user was joined to at `since` and has since left. */
  newlyLeftRooms: readonly RoomId[];
  /** The events-stream positions of since (null when initial) and of this response. */
  sinceEvents: number | null;
  toEvents: number;
  /** The user's membership events in (sinceEvents, toEvents], as the room lists read them; null when initial. */
  membershipChanges: readonly MembershipRow[] | null;
  /** Reads shared with the other syncs at the same position (viewer-independent reads only). */
  shared: SharedLookups;
}

export interface SyncExtensionResult {
  fields: Record<string, unknown>;
  hasUpdates: boolean;
  /**
   * Where the next token should resume this extension's stream, when the response stops short of `to`
   * (a capped section: the rest comes in the next sync). Defaults to `to`.
   */
  position?: number;
}

export interface SyncExtension {
  readonly name: string;
  currentPosition(): number;
  build(ctx: SyncExtensionContext): Promise<SyncExtensionResult>;
}

/**
 * Global account data another service owns and that clients expect in every initial sync even when the
 * user never wrote it (m.push_rules: the server-default ruleset). Served only when nothing of that type is
 * stored; once stored, the normal account data stream carries it.
 */
export interface DefaultAccountData {
  readonly type: string;
  content(userId: string): Promise<JsonObject>;
}

/** Adds per-room fields to the joined room sections of a response (push: unread_notifications). */
export interface JoinedRoomDecorator {
  /**
   * Reads what the decorator needs for the rooms that may get a section (`roomIds`, known before the sections
   * are built, so these reads run beside theirs) and resolves to what adds its fields to the sections built,
   * which are among those rooms. `toEvents`: the events-stream position the response covers.
   */
  prepare(ctx: {
    requester: Requester;
    filter: SyncFilterJson;
    roomIds: readonly RoomId[];
    toEvents: number;
  }): Promise<(join: Record<RoomId, JoinedRoomSection>) => void>;
}

export class SyncExtensionRegistry {
  private readonly list: SyncExtension[] = [];
  readonly defaultAccountData: DefaultAccountData[] = [];
  readonly joinedRoomDecorators: JoinedRoomDecorator[] = [];

  register(ext: SyncExtension): void {
    if (!/^[a-z0-9_.]+$/.test(ext.name)) throw new Error(`sync extension name must be [a-z0-9_.]: ${ext.name}`);
    if (this.list.some((e) => e.name === ext.name)) throw new Error(`sync extension ${ext.name} registered twice`);
    this.list.push(ext);
  }

  all(): readonly SyncExtension[] {
    return this.list;
  }

  names(): string[] {
    return this.list.map((e) => e.name);
  }
}
