import type { Knex } from 'knex';
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { StateKey } from '../../types/pdu.js';
import type { Direction, Membership, MembershipRow, PartialStateRoom, RoomReadStore, RoomRow, StoredEvent } from '../interfaces/index.js';
import type { Dialect } from './dialect.js';
import type { RoomMemory } from './room-memory.js';
import { toSafeNumber } from './dialect.js';
import {
  chunks,
  EVENT_COLUMNS,
  liveTimeline,
  toBool,
  toMembershipRow,
  toStoredEvent,
  type EventRow,
  type MembershipDbRow,
} from './room-read-rows.js';
import { RoomBatchReads } from './room-read-batch.js';
import { StateGroupCache, StateGroupResolver } from './room-read-state.js';
import { CoalescedReads, groupBy, groupKeys } from './coalesced-reads.js';

// The read side of the room store (tables of migrations/0002_rooms.ts). The room writer (room-write-store.ts)
// fills the tables; KnexRoomStore composes both halves.

/** Users per coalesced memberships read (coalesced-reads.ts). */
const USER_BATCH = 500;

/** A send's transaction id looked up (event_txn_ids' key). */
const TXN_EVENT_SQL = 'select event_id from event_txn_ids where user_id = ? and device_id = ? and txn_id = ? limit 1';

/** Entries (state keys) the resolved-state cache may hold in total, across groups. */
const STATE_CACHE_WEIGHT = 200_000;

/** Reads beyond RoomReadStore that the read service uses when the store offers them. */
export interface RoomReadStoreExtras {
  /** The client transaction ids with which (user, device) created these events. */
  getTxnIdsForEvents(userId: UserId, deviceId: string, eventIds: readonly EventId[]): Promise<Map<EventId, string>>;
  /**
   * The timeline event closest to `ts` in direction `dir` ('f': the first with origin_server_ts >= ts,
   * 'b': the last with origin_server_ts <= ts).
   */
  getEventNearTimestamp(roomId: RoomId, ts: number, dir: Direction): Promise<{ eventId: EventId; originServerTs: number } | undefined>;
  /** An alias row including who created it. */
  getAlias(alias: string): Promise<{ roomId: RoomId; servers: string[]; creator: UserId | null } | undefined>;
}

interface RoomDbRow {
  room_id: string;
  room_version: string;
  creator: string | null;
  is_public: unknown;
  created_ts: unknown;
}

interface AliasDbRow {
  room_id: string;
  servers: string;
  creator: string | null;
}

function toRoomRow(row: RoomDbRow): RoomRow {
  return {
    roomId: row.room_id,
    roomVersion: row.room_version,
    creator: row.creator,
    isPublic: toBool(row.is_public),
    createdTs: toSafeNumber(row.created_ts, 'rooms.created_ts'),
  };
}

function parseServers(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}

interface PartialStateRow {
  room_id: string;
  join_event_id: string;
  joined_via: string;
  servers: string;
}

function partialStateRoom(r: PartialStateRow): PartialStateRoom {
  const servers: unknown = JSON.parse(r.servers);
  return {
    roomId: r.room_id,
    joinEventId: r.join_event_id,
    joinedVia: r.joined_via,
    servers: Array.isArray(servers) ? servers.filter((s): s is string => typeof s === 'string') : [],
  };
}

export class KnexRoomReadStore implements RoomReadStore, RoomReadStoreExtras {
  private readonly states: StateGroupResolver;
  private readonly batch: RoomBatchReads;
  /** Ids bound per IN (...) list, leaving room for the rest of the statement. */
  private readonly inListSize: number;
  /** A user's memberships and membership changes, asked by many woken syncs at once (coalesced-reads.ts). */
  private readonly roomsForUsers = new CoalescedReads<UserId, MembershipRow[]>((ids) => this.readRoomsForUsers(ids), USER_BATCH);
  private readonly orderings = new CoalescedReads<readonly EventId[], Map<EventId, number>>((asked) => this.readStreamOrderings(asked), USER_BATCH);
  private readonly changesForUsers = new CoalescedReads<{ userId: UserId; from: number; to: number }, MembershipRow[]>(
    (keys) => this.readMembershipChangesForUsers(keys),
    USER_BATCH,
  );

  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
    /** What the writes of this process keep (room-memory.ts); without it every question goes to the database. */
    private readonly memory?: RoomMemory,
  ) {
    this.inListSize = Math.max(1, dialect.maxBindParams - 100);
    this.states = new StateGroupResolver(knex, this.inListSize, new StateGroupCache(STATE_CACHE_WEIGHT));
    this.batch = new RoomBatchReads(knex, dialect, this.states, memory?.eventGroups);
  }

  getRoomEventsBeforeMany(requests: ReadonlyArray<{ roomId: RoomId; from: number; to: number }>, limit: number): Promise<StoredEvent[][]> {
    return this.batch.roomEventsBeforeMany(requests, limit);
  }

  getStateIdsBeforeEvents(eventIds: readonly EventId[]): Promise<Map<EventId, Map<StateKey, EventId>>> {
    return this.batch.stateIdsBeforeEvents(eventIds);
  }

  getMembershipHistoriesInRooms(roomIds: readonly RoomId[], userId: UserId): Promise<Map<RoomId, MembershipRow[]>> {
    return this.batch.membershipHistoriesInRooms(roomIds, userId);
  }

  getCurrentStateMarks(roomIds: readonly RoomId[]): Promise<Map<RoomId, number>> {
    return this.batch.currentStateMarks(roomIds);
  }

  getRoomMembersOfRooms(roomIds: readonly RoomId[], memberships?: readonly Membership[]): Promise<Map<RoomId, MembershipRow[]>> {
    return this.batch.roomMembersOfRooms(roomIds, memberships);
  }

  getJoinedServersOfRooms(roomIds: readonly RoomId[]): Promise<Set<string>> {
    return this.batch.joinedServersOfRooms(roomIds);
  }

  getCurrentStateIdsOfRooms(roomIds: readonly RoomId[]): Promise<Map<RoomId, Map<StateKey, EventId>>> {
    return this.batch.currentStateIdsOfRooms(roomIds);
  }

  async getPartialStateRoom(roomId: RoomId): Promise<PartialStateRoom | undefined> {
    const read = async () => {
      const row: PartialStateRow | undefined = await this.knex('partial_state_rooms').where('room_id', roomId).first();
      return row === undefined ? null : partialStateRoom(row);
    };
    return (await (this.memory?.partialState.through(roomId, read) ?? read())) ?? undefined;
  }

  async getPartialStateRooms(): Promise<PartialStateRoom[]> {
    const rows: PartialStateRow[] = await this.knex('partial_state_rooms').orderBy('created_ts');
    return rows.map(partialStateRoom);
  }

  async getRoom(roomId: RoomId): Promise<RoomRow | undefined> {
    const row: RoomDbRow | undefined = await this.knex('rooms')
      .select('room_id', 'room_version', 'creator', 'is_public', 'created_ts')
      .where({ room_id: roomId })
      .first();
    return row === undefined ? undefined : toRoomRow(row);
  }

  async getRooms(roomIds: readonly RoomId[]): Promise<Map<RoomId, RoomRow>> {
    const out = new Map<RoomId, RoomRow>();
    for (const part of chunks([...new Set(roomIds)], this.inListSize)) {
      const rows: RoomDbRow[] = await this.knex('rooms').select('room_id', 'room_version', 'creator', 'is_public', 'created_ts').whereIn('room_id', part);
      for (const row of rows) out.set(row.room_id, toRoomRow(row));
    }
    return out;
  }

  async getEvent(eventId: EventId): Promise<StoredEvent | undefined> {
    const row: EventRow | undefined = await this.knex('events').select(EVENT_COLUMNS).where({ event_id: eventId }).first();
    return row === undefined ? undefined : toStoredEvent(row);
  }

  async getEvents(eventIds: Iterable<EventId>): Promise<Map<EventId, StoredEvent>> {
    const ids = [...new Set(eventIds)];
    const out = new Map<EventId, StoredEvent>();
    for (const part of chunks(ids, this.inListSize)) {
      const rows: EventRow[] = await this.knex('events').select(EVENT_COLUMNS).whereIn('event_id', part);
      for (const row of rows) out.set(row.event_id, toStoredEvent(row));
    }
    return out;
  }

  getStreamOrderings(eventIds: readonly EventId[]): Promise<Map<EventId, number>> {
    return this.orderings.get(eventIds);
  }

  /** The stream orderings asked for in one turn (each woken member's read receipts), from one statement per chunk. */
  private async readStreamOrderings(requests: readonly (readonly EventId[])[]): Promise<Map<EventId, number>[]> {
    const ids = [...new Set(requests.flat())];
    const found = new Map<EventId, number>();
    for (const part of chunks(ids, this.inListSize)) {
      if (part.length === 0) continue;
      const rows: Array<{ event_id: string; stream_ordering: unknown }> = await this.knex('events')
        .select('event_id', 'stream_ordering')
        .modify((q) => (part.length === 1 ? q.where({ event_id: part[0] }) : q.whereIn('event_id', part)));
      for (const r of rows) found.set(r.event_id as EventId, toSafeNumber(r.stream_ordering, 'events.stream_ordering'));
    }
    return requests.map((asked) => {
      const out = new Map<EventId, number>();
      for (const id of asked) {
        const so = found.get(id);
        if (so !== undefined) out.set(id, so);
      }
      return out;
    });
  }

  /**
   * MAX(stream_ordering) of persisted events. This can run ahead of what is safe to serve while a lower
   * id is still being written; the service layer bounds it with the events generator's currentToken().
   */
  async getMaxStreamOrdering(): Promise<number> {
    const row: Record<string, unknown> | undefined = await this.knex('events').max({ max: 'stream_ordering' }).first();
    const max = row?.max;
    if (max === null || max === undefined) return 0;
    return Math.max(0, toSafeNumber(max, 'max(stream_ordering)'));
  }

  /** MIN(stream_ordering), at most 0: backfilled events and outliers take orderings below it. */
  async getMinStreamOrdering(): Promise<number> {
    const row: Record<string, unknown> | undefined = await this.knex('events').min({ min: 'stream_ordering' }).first();
    const min = row?.min;
    if (min === null || min === undefined) return 0;
    return Math.min(0, toSafeNumber(min, 'min(stream_ordering)'));
  }

  async getCurrentStateIds(roomId: RoomId): Promise<Map<StateKey, EventId>> {
    const rows: Array<{ type: string; state_key: string; event_id: string }> = await this.knex('current_state')
      .select('type', 'state_key', 'event_id')
      .where({ room_id: roomId });
    return new Map(rows.map((r) => [`${r.type}\u0000${r.state_key}`, r.event_id]));
  }

  async getCurrentStateMark(roomId: RoomId): Promise<number> {
    const row: { mark?: unknown } | undefined = await this.knex('current_state_delta_stream').max({ mark: 'stream_ordering' }).where({ room_id: roomId }).first();
    const mark = row?.mark;
    return mark === null || mark === undefined ? Number.MIN_SAFE_INTEGER : toSafeNumber(mark, 'current_state_delta_stream.stream_ordering');
  }

  async getCurrentStateEvent(roomId: RoomId, type: string, stateKey: string): Promise<StoredEvent | undefined> {
    const row: EventRow | undefined = await this.knex('current_state as c')
      .join('events as e', 'e.event_id', 'c.event_id')
      .select(EVENT_COLUMNS.map((c) => `e.${c}`))
      .where({ 'c.room_id': roomId, 'c.type': type, 'c.state_key': stateKey })
      .first();
    return row === undefined ? undefined : toStoredEvent(row);
  }

  async getStateIdsBeforeEvent(eventId: EventId): Promise<Map<StateKey, EventId> | undefined> {
    return this.stateOfEvent(eventId, 'state_group_before');
  }

  async getStateIdsAfterEvent(eventId: EventId): Promise<Map<StateKey, EventId> | undefined> {
    return this.stateOfEvent(eventId, 'state_group_after');
  }

  private async stateOfEvent(
    eventId: EventId,
    column: 'state_group_before' | 'state_group_after',
  ): Promise<Map<StateKey, EventId> | undefined> {
    const recent = this.memory?.eventGroups.get(eventId);
    if (recent !== undefined) return this.states.resolve(column === 'state_group_before' ? recent.before : recent.after);
    const row: Record<string, unknown> | undefined = await this.knex('event_state').select(column).where({ event_id: eventId }).first();
    if (row === undefined) return undefined;
    return this.states.resolve(toSafeNumber(row[column], `event_state.${column}`));
  }

  async getStateIdsAtStreamOrdering(roomId: RoomId, position: number): Promise<Map<StateKey, EventId>> {
    const row: { state_group_after: unknown } | undefined = await this.timeline(this.knex('events as e'), roomId)
      .join('event_state as s', 's.event_id', 'e.event_id')
      .select('s.state_group_after')
      .where('e.stream_ordering', '<=', position)
      .orderBy('e.stream_ordering', 'desc')
      .first();
    if (row === undefined) return new Map();
    return this.states.resolve(toSafeNumber(row.state_group_after, 'event_state.state_group_after'));
  }

  async getRoomsForUser(userId: UserId, memberships?: readonly Membership[]): Promise<MembershipRow[]> {
    // Every membership of the user (kept, or read together with other woken syncs'), filtered here.
    const read = () => this.roomsForUsers.get(userId);
    const rows = await (this.memory?.userRooms.through(userId, read) ?? read());
    if (memberships === undefined) return rows;
    const wanted = new Set<string>(memberships);
    return rows.filter((r) => wanted.has(r.membership));
  }

  async getRoomMembers(roomId: RoomId, memberships?: readonly Membership[]): Promise<MembershipRow[]> {
    const read = async () => {
      const q = this.knex('current_memberships')
        .select('room_id', 'user_id', 'membership', 'event_id', 'stream_ordering')
        .where({ room_id: roomId })
        .orderBy('stream_ordering', 'asc');
      if (memberships !== undefined) void q.whereIn('membership', [...memberships]);
      const rows: MembershipDbRow[] = await q;
      return rows.map(toMembershipRow);
    };
    // The joined members are what most callers ask for (after every send: typing and receipt destinations,
    // appservice interest), so those are kept.
    const joinedOnly = memberships?.length === 1 && memberships[0] === 'join';
    return (joinedOnly ? this.memory?.joinedMembers.through(roomId, read) : undefined) ?? read();
  }

  async getJoinedServers(roomId: RoomId): Promise<string[]> {
    const read = async () => {
      // DISTINCT in the database: a room of 10,000 members on a few servers sends a few rows, not 10,000.
      const server = this.dialect.serverOfUserIdSql('user_id');
      const rows: Array<{ server: string }> = await this.knex('current_memberships')
        .distinct(this.knex.raw(`${server} as server`))
        .where({ room_id: roomId, membership: 'join' });
      return rows.map((r) => r.server);
    };
    return this.memory?.joinedServers.through(roomId, read) ?? read();
  }

  async getJoinedMemberNames(roomId: RoomId): Promise<Array<{ userId: UserId; displayName: string | null }>> {
    // room_memberships.display_name is the member event's content.displayname, written with the event.
    const rows: Array<{ user_id: string; display_name: string | null }> = await this.knex('current_memberships as c')
      .leftJoin('room_memberships as m', 'm.event_id', 'c.event_id')
      .select('c.user_id', 'm.display_name')
      .where({ 'c.room_id': roomId, 'c.membership': 'join' })
      .orderBy('c.stream_ordering', 'asc');
    return rows.map((r) => ({ userId: r.user_id as UserId, displayName: r.display_name ?? null }));
  }

  getMembershipChangesForUser(userId: UserId, from: number, to: number): Promise<MembershipRow[]> {
    // Most woken syncs: nothing about the user's memberships was written since their position.
    if (to <= from || this.memory?.changes.membershipsUnchangedSince(userId, from) === true) return Promise.resolve([]);
    return this.changesForUsers.get({ userId, from, to });
  }

  /** Every membership of each user, in stream order: one statement for the batch. */
  private async readRoomsForUsers(userIds: readonly UserId[]): Promise<MembershipRow[][]> {
    const rows: MembershipDbRow[] = await this.knex('current_memberships')
      .select('room_id', 'user_id', 'membership', 'event_id', 'stream_ordering')
      .modify((q) => (userIds.length === 1 ? q.where({ user_id: userIds[0] }) : q.whereIn('user_id', [...new Set(userIds)])))
      .orderBy('stream_ordering', 'asc');
    const byUser = groupBy(rows, (r) => r.user_id);
    // Fresh row objects per request: two syncs of one user must not share what they may change.
    return userIds.map((id) => (byUser.get(id) ?? []).map(toMembershipRow));
  }

  /** Membership events in (from, to] of each user: one statement per distinct range in the batch. */
  private async readMembershipChangesForUsers(keys: readonly { userId: UserId; from: number; to: number }[]): Promise<MembershipRow[][]> {
    const out: MembershipRow[][] = keys.map(() => []);
    for (const group of groupKeys(keys, (k) => `${k.from}:${k.to}`).values()) {
      const { from, to } = (group[0] as { key: { from: number; to: number } }).key;
      const userIds = [...new Set(group.map((g) => g.key.userId))];
      const byUser = groupBy(await this.membershipChanges(userIds, from, to), (r) => r.user_id);
      for (const { key, index } of group) out[index] = (byUser.get(key.userId) ?? []).map(toMembershipRow);
    }
    return out;
  }

  private membershipChanges(userIds: readonly UserId[], from: number, to: number): Promise<MembershipDbRow[]> {
    return this.knex('room_memberships')
      .select('room_id', 'user_id', 'membership', 'event_id', 'stream_ordering')
      .modify((q) => (userIds.length === 1 ? q.where({ user_id: userIds[0] }) : q.whereIn('user_id', userIds)))
      .andWhere('stream_ordering', '>', from)
      .andWhere('stream_ordering', '<=', to)
      .orderBy('stream_ordering', 'asc');
  }

  async getMembershipHistoryInRoom(roomId: RoomId, userId: UserId): Promise<MembershipRow[]> {
    const rows: MembershipDbRow[] = await this.knex('room_memberships')
      .select('room_id', 'user_id', 'membership', 'event_id', 'stream_ordering')
      .where({ user_id: userId, room_id: roomId })
      .orderBy('stream_ordering', 'asc');
    return rows.map(toMembershipRow);
  }

  async getMembershipAt(roomId: RoomId, userId: UserId, position: number): Promise<MembershipRow | undefined> {
    const row: MembershipDbRow | undefined = await this.knex('room_memberships')
      .select('room_id', 'user_id', 'membership', 'event_id', 'stream_ordering')
      .where({ room_id: roomId, user_id: userId })
      .andWhere('stream_ordering', '<=', position)
      .orderBy('stream_ordering', 'desc')
      .first();
    return row === undefined ? undefined : toMembershipRow(row);
  }

  async getRoomEventsInRange(roomId: RoomId, from: number, to: number, dir: Direction, limit: number): Promise<StoredEvent[]> {
    if (limit <= 0 || to <= from) return [];
    const rows: EventRow[] = await this.timeline(this.knex('events as e'), roomId)
      .select(EVENT_COLUMNS.map((c) => `e.${c}`))
      .andWhere('e.stream_ordering', '>', from)
      .andWhere('e.stream_ordering', '<=', to)
      .orderBy('e.stream_ordering', dir === 'b' ? 'desc' : 'asc')
      .limit(limit);
    return rows.map(toStoredEvent);
  }

  async getRoomsChangedSince(roomIds: readonly RoomId[], from: number, to: number): Promise<Set<RoomId>> {
    if (to <= from) return new Set();
    const known = this.memory?.changes.changedSince(roomIds, from, to);
    if (known === undefined || known === null) return this.readRoomsChangedSince(roomIds, from, to);
    if (known.unsure.length === 0) return known.changed;
    for (const roomId of await this.readRoomsChangedSince(known.unsure, from, to)) known.changed.add(roomId);
    return known.changed;
  }

  private async readRoomsChangedSince(roomIds: readonly RoomId[], from: number, to: number): Promise<Set<RoomId>> {
    const out = new Set<RoomId>();
    for (const part of chunks([...new Set(roomIds)], this.inListSize)) {
      const rows: Array<{ room_id: string }> = await this.knex('events')
        .distinct('room_id')
        .whereIn('room_id', part)
        .andWhere('stream_ordering', '>', from)
        .andWhere('stream_ordering', '<=', to)
        .andWhere('outlier', false)
        .andWhere('soft_failed', false)
        .whereNull('rejected_reason');
      for (const r of rows) out.add(r.room_id);
    }
    return out;
  }

  async getCurrentStateDeltas(
    roomIds: readonly RoomId[],
    from: number,
    to: number,
  ): Promise<Array<{ streamOrdering: number; roomId: RoomId; type: string; stateKey: string; eventId: EventId | null }>> {
    const rows: Array<{ id: number; streamOrdering: number; roomId: RoomId; type: string; stateKey: string; eventId: EventId | null }> = [];
    if (to <= from) return [];
    for (const part of chunks([...new Set(roomIds)], this.inListSize)) {
      const found: Array<{ id: unknown; stream_ordering: unknown; room_id: string; type: string; state_key: string; event_id: string | null }> =
        await this.knex('current_state_delta_stream')
          .select('id', 'stream_ordering', 'room_id', 'type', 'state_key', 'event_id')
          .whereIn('room_id', part)
          .andWhere('stream_ordering', '>', from)
          .andWhere('stream_ordering', '<=', to);
      for (const r of found) {
        rows.push({
          id: toSafeNumber(r.id, 'current_state_delta_stream.id'),
          streamOrdering: toSafeNumber(r.stream_ordering, 'current_state_delta_stream.stream_ordering'),
          roomId: r.room_id,
          type: r.type,
          stateKey: r.state_key,
          eventId: r.event_id,
        });
      }
    }
    // Chunks come back separately: restore one stream order (id breaks ties within one event's changes).
    rows.sort((a, b) => a.streamOrdering - b.streamOrdering || a.id - b.id);
    return rows.map(({ id: _id, ...rest }) => rest);
  }

  async getBackwardExtremities(roomId: RoomId): Promise<EventId[]> {
    const rows: Array<{ event_id: string }> = await this.knex('backward_extremities')
      .select('event_id')
      .where({ room_id: roomId })
      .orderBy('event_id');
    return rows.map((r) => r.event_id);
  }

  async getForwardExtremities(roomId: RoomId): Promise<EventId[]> {
    const rows: Array<{ event_id: string }> = await this.knex('forward_extremities')
      .select('event_id')
      .where({ room_id: roomId })
      .orderBy('event_id');
    return rows.map((r) => r.event_id);
  }

  async getTxnEvent(userId: UserId, deviceId: string, txnId: string): Promise<EventId | undefined> {
    // Every message send asks (its idempotency check): written as SQL (dialect-reads.ts).
    const [row] = await this.dialect.selectRows(this.knex, TXN_EVENT_SQL, [userId, deviceId, txnId]);
    return row === undefined ? undefined : String(row['event_id']);
  }

  async getTxnIdsForEvents(userId: UserId, deviceId: string, eventIds: readonly EventId[]): Promise<Map<EventId, string>> {
    const out = new Map<EventId, string>();
    for (const part of chunks([...new Set(eventIds)], this.inListSize - 2)) {
      // Kept on the event's row (migration 0030), found by the event id's index.
      const rows: Array<{ event_id: string; txn_id: string }> = await this.knex('events')
        .select('event_id', 'txn_id')
        .whereIn('event_id', part)
        .andWhere({ sender: userId, txn_device_id: deviceId })
        .whereNotNull('txn_id');
      for (const r of rows) out.set(r.event_id, r.txn_id);
    }
    return out;
  }

  async getEventNearTimestamp(
    roomId: RoomId,
    ts: number,
    dir: Direction,
  ): Promise<{ eventId: EventId; originServerTs: number } | undefined> {
    const row: { event_id: string; origin_server_ts: unknown } | undefined = await this.timeline(this.knex('events as e'), roomId)
      .select('e.event_id', 'e.origin_server_ts')
      .andWhere('e.origin_server_ts', dir === 'f' ? '>=' : '<=', ts)
      .orderBy([
        { column: 'e.origin_server_ts', order: dir === 'f' ? 'asc' : 'desc' },
        { column: 'e.stream_ordering', order: dir === 'f' ? 'asc' : 'desc' },
      ])
      .first();
    if (row === undefined) return undefined;
    return { eventId: row.event_id, originServerTs: toSafeNumber(row.origin_server_ts, 'events.origin_server_ts') };
  }

  async getAliasesForRoom(roomId: RoomId): Promise<string[]> {
    const rows: Array<{ room_alias: string }> = await this.knex('room_aliases')
      .select('room_alias')
      .where({ room_id: roomId })
      .orderBy([{ column: 'created_ts' }, { column: 'room_alias' }]);
    return rows.map((r) => r.room_alias);
  }

  async getRoomIdForAlias(alias: string): Promise<{ roomId: RoomId; servers: string[] } | undefined> {
    const found = await this.getAlias(alias);
    return found === undefined ? undefined : { roomId: found.roomId, servers: found.servers };
  }

  async getAlias(alias: string): Promise<{ roomId: RoomId; servers: string[]; creator: UserId | null } | undefined> {
    const row: AliasDbRow | undefined = await this.knex('room_aliases')
      .select('room_id', 'servers', 'creator')
      .where({ room_alias: alias })
      .first();
    if (row === undefined) return undefined;
    return { roomId: row.room_id, servers: parseServers(row.servers), creator: row.creator };
  }

  async getPublicRoomIds(): Promise<RoomId[]> {
    const rows: Array<{ room_id: string }> = await this.knex('rooms')
      .select('room_id')
      .where({ is_public: true })
      .orderBy('room_id');
    return rows.map((r) => r.room_id);
  }

  /** Restricts an `events as e` query to the room's live timeline: no outliers, soft-failed or rejected events. */
  private timeline<Q extends Knex.QueryBuilder>(q: Q, roomId: RoomId): Q {
    return liveTimeline(q, roomId);
  }
}
