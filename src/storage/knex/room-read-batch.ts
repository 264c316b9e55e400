import type { Knex } from 'knex';
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { StateKey } from '../../types/pdu.js';
import type { Membership, MembershipRow, StoredEvent } from '../interfaces/index.js';
import type { Dialect } from './dialect.js';
import { toSafeNumber } from './dialect.js';
import type { RecentEventGroups } from './recent-event-groups.js';
import { chunks, EVENT_COLUMNS, liveTimeline, toMembershipRow, toStoredEvent, type EventRow, type MembershipDbRow } from './room-read-rows.js';
import type { StateGroupResolver } from './room-read-state.js';

// The batched reads of RoomReadStore (getRoomEventsBeforeMany and friends): what a sync over many rooms
// asks of each room, read for a chunk of rooms per statement. On PostgreSQL every statement is a round trip,
// so an initial sync in 1,000 rooms that read room by room spent most of its time waiting on them.

/**
 * Rooms per UNION ALL of timeline slices (engines without LATERAL: SQLite). SQLite caps a compound SELECT at 500 terms (the same cap as
 * multi-row inserts, dialect.maxRowsPerInsert); fewer keep one statement's text and plan small on both.
 */
const MAX_TIMELINE_BRANCHES = 200;

/** Slices per lateral-join statement (PostgreSQL): bounds one answer's size, not its planning. */
const LATERAL_SLICES = 5_000;

const MEMBERSHIP_COLUMNS = ['room_id', 'user_id', 'membership', 'event_id', 'stream_ordering'] as const;

export class RoomBatchReads {
  /** Ids bound per IN (...) list, leaving room for the rest of the statement. */
  private readonly inListSize: number;
  private readonly branches: number;

  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
    private readonly states: StateGroupResolver,
    /** Groups of the events this process wrote last: the ones woken syncs ask about. */
    private readonly recent?: RecentEventGroups,
  ) {
    this.inListSize = Math.max(1, dialect.maxBindParams - 100);
    this.branches = Math.max(1, Math.min(MAX_TIMELINE_BRANCHES, dialect.maxRowsPerInsert));
  }

  async roomEventsBeforeMany(requests: ReadonlyArray<{ roomId: RoomId; from: number; to: number }>, limit: number): Promise<StoredEvent[][]> {
    const out: StoredEvent[][] = requests.map(() => []);
    if (limit <= 0) return out;
    const asked = requests.map((r, i) => ({ ...r, i })).filter((r) => r.to > r.from);
    const lateral = this.dialect.timelineSlicesSql;
    // Four bound arrays and the limit per lateral statement, however many slices; a branch per slice otherwise.
    for (const part of chunks(asked, lateral !== null ? LATERAL_SLICES : this.branches)) {
      const rows = lateral !== null ? await this.lateralSlices(lateral, part, limit) : await this.unionSlices(part, limit);
      for (const row of rows) {
        const slice = part[toSafeNumber(row.req, 'req')];
        if (slice !== undefined) out[slice.i]?.push(toStoredEvent(row));
      }
    }
    // Neither shape promises the order of its rows: restore newest first within each request.
    for (const list of out) list.sort((a, b) => b.streamOrdering - a.streamOrdering);
    return out;
  }

  /** Rows of every slice of `part`, `req` being the slice's index in `part`. */
  private async lateralSlices(
    sqlFor: NonNullable<Dialect['timelineSlicesSql']>,
    part: ReadonlyArray<{ roomId: RoomId; from: number; to: number }>,
    limit: number,
  ): Promise<Array<EventRow & { req: unknown }>> {
    const { sql, bindings } = sqlFor(part, limit, EVENT_COLUMNS);
    const result: { rows: Array<EventRow & { req: unknown }> } = await this.knex.raw(sql, bindings as Knex.RawBinding[]);
    return result.rows;
  }

  private async unionSlices(part: ReadonlyArray<{ roomId: RoomId; from: number; to: number }>, limit: number): Promise<Array<EventRow & { req: unknown }>> {
    // One branch per slice, each the single-room query (index range scan on (room_id, stream_ordering), stopping
    // after `limit` rows) wrapped in a sub-select: SQLite allows ORDER BY / LIMIT only there in a compound.
    // The slice number is a literal we generate, so it needs no bound type.
    const branch = (r: { roomId: RoomId; from: number; to: number }, index: number) =>
      this.knex
        .select('*')
        .from(
          liveTimeline(this.knex('events as e'), r.roomId)
            .select(this.knex.raw(`${Number(index)} as req`), ...EVENT_COLUMNS.map((c) => `e.${c}`))
            .andWhere('e.stream_ordering', '>', r.from)
            .andWhere('e.stream_ordering', '<=', r.to)
            .orderBy('e.stream_ordering', 'desc')
            .limit(limit)
            .as('t'),
        );
    const [first, ...rest] = part.map(branch);
    if (first === undefined) return [];
    return rest.length > 0 ? await first.unionAll(rest, false) : await first;
  }

  async stateIdsBeforeEvents(eventIds: readonly EventId[]): Promise<Map<EventId, Map<StateKey, EventId>>> {
    const groupOf = new Map<EventId, number>();
    const unknown: EventId[] = [];
    for (const eventId of new Set(eventIds)) {
      const recent = this.recent?.get(eventId);
      if (recent !== undefined) groupOf.set(eventId, recent.before);
      else unknown.push(eventId);
    }
    for (const part of chunks(unknown, this.inListSize)) {
      const rows: Array<{ event_id: string; state_group_before: unknown }> = await this.knex('event_state')
        .select('event_id', 'state_group_before')
        .whereIn('event_id', part);
      for (const r of rows) groupOf.set(r.event_id, toSafeNumber(r.state_group_before, 'event_state.state_group_before'));
    }
    const states = await this.states.resolveMany(groupOf.values());
    const out = new Map<EventId, Map<StateKey, EventId>>();
    // Events sharing a group get their own copies: callers may change the maps they are handed.
    const handedOut = new Set<number>();
    for (const [eventId, group] of groupOf) {
      const state = states.get(group);
      if (state === undefined) continue;
      out.set(eventId, handedOut.has(group) ? new Map(state) : state);
      handedOut.add(group);
    }
    return out;
  }

  async membershipHistoriesInRooms(roomIds: readonly RoomId[], userId: UserId): Promise<Map<RoomId, MembershipRow[]>> {
    const out = new Map<RoomId, MembershipRow[]>(roomIds.map((r) => [r, []]));
    for (const part of chunks([...new Set(roomIds)], this.inListSize - 1)) {
      const rows: MembershipDbRow[] = await this.knex('room_memberships')
        .select(MEMBERSHIP_COLUMNS)
        .where({ user_id: userId })
        .whereIn('room_id', part)
        .orderBy('stream_ordering', 'asc');
      for (const r of rows) out.get(r.room_id)?.push(toMembershipRow(r));
    }
    return out;
  }

  async currentStateMarks(roomIds: readonly RoomId[]): Promise<Map<RoomId, number>> {
    // A room without deltas gets the single-room read's answer for no rows.
    const out = new Map<RoomId, number>(roomIds.map((r) => [r, Number.MIN_SAFE_INTEGER]));
    for (const part of chunks([...new Set(roomIds)], this.inListSize)) {
      const rows: Array<{ room_id: string; mark: unknown }> = await this.knex('current_state_delta_stream')
        .select('room_id')
        .max({ mark: 'stream_ordering' })
        .whereIn('room_id', part)
        .groupBy('room_id');
      for (const r of rows) {
        if (r.mark !== null && r.mark !== undefined) out.set(r.room_id, toSafeNumber(r.mark, 'current_state_delta_stream.stream_ordering'));
      }
    }
    return out;
  }

  async roomMembersOfRooms(roomIds: readonly RoomId[], memberships?: readonly Membership[]): Promise<Map<RoomId, MembershipRow[]>> {
    const out = new Map<RoomId, MembershipRow[]>(roomIds.map((r) => [r, []]));
    for (const part of chunks([...new Set(roomIds)], this.inListSize - (memberships?.length ?? 0))) {
      const q = this.knex('current_memberships').select(MEMBERSHIP_COLUMNS).whereIn('room_id', part).orderBy('stream_ordering', 'asc');
      if (memberships !== undefined) void q.whereIn('membership', [...memberships]);
      const rows: MembershipDbRow[] = await q;
      for (const r of rows) out.get(r.room_id)?.push(toMembershipRow(r));
    }
    return out;
  }

  async joinedServersOfRooms(roomIds: readonly RoomId[]): Promise<Set<string>> {
    const out = new Set<string>();
    const server = this.dialect.serverOfUserIdSql('user_id');
    for (const part of chunks([...new Set(roomIds)], this.inListSize - 1)) {
      const rows: Array<{ server: string }> = await this.knex('current_memberships')
        .distinct(this.knex.raw(`${server} as server`))
        .whereIn('room_id', part)
        .andWhere({ membership: 'join' });
      for (const r of rows) out.add(r.server);
    }
    return out;
  }

  async currentStateIdsOfRooms(roomIds: readonly RoomId[]): Promise<Map<RoomId, Map<StateKey, EventId>>> {
    const out = new Map<RoomId, Map<StateKey, EventId>>(roomIds.map((r) => [r, new Map()]));
    for (const part of chunks([...new Set(roomIds)], this.inListSize)) {
      const rows: Array<{ room_id: string; type: string; state_key: string; event_id: string }> = await this.knex('current_state')
        .select('room_id', 'type', 'state_key', 'event_id')
        .whereIn('room_id', part);
      for (const r of rows) out.get(r.room_id)?.set(`${r.type}\u0000${r.state_key}`, r.event_id);
    }
    return out;
  }
}
