import type { Knex } from 'knex';
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { Pdu, StateKey } from '../../types/pdu.js';
import type { DerivedRows, EventToPersist, RoomRow, RoomWriteStore } from '../interfaces/index.js';
import type { Dialect } from './dialect.js';
import { WrittenSql } from './dialect-writes.js';
import type { EventGroups } from './recent-event-groups.js';
import { newRoomMemory, type RoomMemory } from './room-memory.js';
import { writePushEvaluation } from './push-store.js';
import { advanceIndexPosition, writeIndexRows } from './relations-store.js';
import { StateGroupWriter, type ResolvedGroup } from './room-write-state-groups.js';
import { writeCurrentState } from './room-write-current-state.js';
import { deleteDeadStateGroups, findDeadStateGroups } from './state-group-gc.js';
import { NeedsTransaction, statementsOnly } from './statements-only.js';
import { WriteBatch } from './write-batch.js';

// The write side of the room store: only the room writer (src/rooms) calls it, one writer per room. Every
// batch lands in ONE transaction; stream orderings were allocated by the caller, who marks them done and
// publishes notices only after this resolves (i.e. after commit).

type PersistBatch = Parameters<RoomWriteStore['persistEvents']>[0];
type BatchEvent = EventToPersist & { streamOrdering: number };
/** An event's groups as its transaction wrote them: the after group resolved, for the next event's delta. */
type LocalGroups = { before: number; after: ResolvedGroup };

/** What collecting a commit gathered, for its flush and for what the process keeps once it committed. */
interface Collected {
  writes: WriteBatch;
  /** State groups the commit writes. */
  written: ResolvedGroup[];
  /** Each event's groups, so later events (of this batch or a later batch of the same room) build on them without a query. */
  localAfter: Map<EventId, LocalGroups>;
  /** Users whose current memberships the commit changes, and the rooms where it changes any. */
  members: Set<UserId>;
  memberRooms: Set<RoomId>;
}

const SEP = '\u0000';

function refId(ref: string | [string, Record<string, string>]): EventId {
  return typeof ref === 'string' ? ref : ref[0];
}

function redactsOf(pdu: Pdu): EventId | undefined {
  const inContent = pdu.content.redacts;
  if (typeof inContent === 'string') return inContent;
  return typeof pdu.redacts === 'string' ? pdu.redacts : undefined;
}

function stringOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

export class KnexRoomWriteStore implements Omit<RoomWriteStore, 'getInboundTxnResponse' | 'putInboundTxnResponse'> {
  private readonly groups = new StateGroupWriter();
  /** Builds the statements of a commit tried without a transaction (commitAsOneStatement). */
  private readonly statementsOnly: Knex;

  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
    /** Told of every commit (room-memory.ts); its event groups also serve the next event's write. */
    private readonly memory: RoomMemory = newRoomMemory(),
  ) {
    this.statementsOnly = statementsOnly(knex.client.config as Knex.Config);
  }

  async createRoom(row: RoomRow): Promise<void> {
    await this.knex('rooms').insert(roomDbRow(row));
  }

  async persistEvents(batch: PersistBatch): Promise<void> {
    await this.persistEventBatches([batch]);
  }

  async persistEventBatches(batches: readonly PersistBatch[], derived?: DerivedRows): Promise<void> {
    if (batches.every((b) => b.events.length === 0 && b.room === undefined)) return;
    await this.groups.prepare(this.knex);
    const commit =
      (await this.commitAsOneStatement(batches, derived)) ??
      (await this.knex.transaction(async (trx) => {
        const collected = await this.collect(trx, batches, derived);
        await collected.writes.flush(trx);
        return collected;
      }));
    this.memory.changes.record(batches);
    this.forgetChanged(commit.members, commit.memberRooms, batches.filter((b) => b.partialState !== undefined).map((b) => b.roomId));
    this.groups.remember(commit.written);
    for (const [eventId, g] of commit.localAfter) this.memory.eventGroups.set(eventId, { before: g.before, after: g.after.id });
  }

  /**
   * Most commits (messages, a burst of them) only add rows: collected against a knex that runs nothing
   * (statements-only.ts), they go out atomically without a knex transaction (dialect.runWritesAsOne): on
   * PostgreSQL as one statement, saving BEGIN's and COMMIT's round trips; on SQLite in one synchronous run,
   * saving knex's work per statement. Null when the commit must run a statement before its writes (state,
   * membership, events from other servers) or its writes do not fit in one PostgreSQL statement: the caller
   * then does it all again in a transaction.
   */
  private async commitAsOneStatement(batches: readonly PersistBatch[], derived: DerivedRows | undefined): Promise<Collected | null> {
    let collected: Collected;
    try {
      // Typed as a transaction for the collecting code, which never commits or rolls back what it is handed.
      collected = await this.collect(this.statementsOnly as Knex.Transaction, batches, derived);
    } catch (err) {
      if (err instanceof NeedsTransaction) return null;
      throw err;
    }
    return (await collected.writes.flushAsOne(this.knex)) ? collected : null;
  }

  /** Everything the batches write: statements run on `trx` as needed, rows and writes collected in `writes`. */
  private async collect(trx: Knex.Transaction, batches: readonly PersistBatch[], derived: DerivedRows | undefined): Promise<Collected> {
    const c: Collected = { writes: new WriteBatch(this.dialect), written: [], localAfter: new Map(), members: new Set(), memberRooms: new Set() };
    // A later batch of the same room replaces the forward extremities anyway (a group commit of a burst).
    const lastExtremities = new Map<RoomId, number>();
    batches.forEach((b, i) => {
      if (b.newForwardExtremities !== null) lastExtremities.set(b.roomId, i);
    });
    for (const [i, batch] of batches.entries()) {
      const superseded = (lastExtremities.get(batch.roomId) ?? i) > i;
      const members = await this.persistBatch(trx, batch, c.localAfter, c.written, c.writes, superseded);
      for (const u of members) c.members.add(u);
      if (members.size > 0) c.memberRooms.add(batch.roomId);
    }
    if (derived?.push !== undefined) writePushEvaluation(c.writes, trx, this.dialect, derived.push);
    if (derived?.index !== undefined) {
      const { name, advance } = derived.index;
      await writeIndexRows(trx, this.dialect, derived.index, c.writes);
      if (advance !== null) c.writes.add(advanceIndexPosition(trx, name, advance.from, advance.to));
    }
    return c;
  }

  private async persistBatch(
    trx: Knex.Transaction,
    batch: PersistBatch,
    localAfter: Map<EventId, LocalGroups>,
    written: ResolvedGroup[],
    writes: WriteBatch,
    supersededExtremities: boolean,
  ): Promise<Set<UserId>> {
    if (batch.room !== undefined) await trx('rooms').insert(roomDbRow(batch.room));
    if (batch.partialState !== undefined) {
      const p = batch.partialState;
      await this.dialect.upsert(
        trx,
        'partial_state_rooms',
        { room_id: p.roomId, join_event_id: p.joinEventId, joined_via: p.joinedVia, servers: JSON.stringify(p.servers), created_ts: Date.now() },
        ['room_id'],
      );
    }
    for (const ev of batch.events) {
      await this.persistOne(trx, ev, localAfter, written, writes);
    }
    if (batch.newForwardExtremities !== null && !supersededExtremities) {
      // Tips that stay are not deleted, and their insert is skipped as a conflict: in one combined statement
      // (write-batch.ts) a delete does not see what an insert adds, and an insert would collide with a row
      // being deleted.
      const ids = [...new Set(batch.newForwardExtremities)];
      // Part of every message's commit: written as SQL, not compiled by knex's builder (dialect-writes.ts).
      const kept = ids.length > 0 ? ` and event_id not in (${ids.map(() => '?').join(', ')})` : '';
      writes.add(new WrittenSql(trx, `delete from forward_extremities where room_id = ?${kept}`, [batch.roomId, ...ids]));
      const rows = ids.map((eventId) => ({ room_id: batch.roomId, event_id: eventId }));
      writes.rows('forward_extremities', rows, ['room_id', 'event_id']);
    }
    if (batch.newCurrentState !== null) {
      // It may read back events of earlier batches of this transaction.
      await writes.flush(trx);
      return writeCurrentState(trx, this.dialect, batch.roomId, batch.newCurrentState, batch.events);
    }
    return new Set();
  }

  async completePartialState(batch: Parameters<RoomWriteStore['completePartialState']>[0]): Promise<void> {
    await this.groups.prepare(this.knex);
    const written: ResolvedGroup[] = [];
    const rewritten = new Map<EventId, EventGroups>();
    let members = new Set<UserId>();
    await this.knex.transaction(async (trx) => {
      const localAfter = new Map<EventId, LocalGroups>();
      const writes = new WriteBatch(this.dialect);
      for (const ev of batch.events) await this.persistOne(trx, ev, localAfter, written, writes);
      // The event_state rows are rewritten below.
      await writes.flush(trx);
      // Each event's new groups are deltas against the previous event's: events since the join are few and
      // mostly linear, and their full states differ by little.
      let base: ResolvedGroup | null = null;
      for (const { eventId, stateBefore, stateAfter } of batch.eventStates) {
        const before = await this.groups.write(trx, batch.roomId, base, stateBefore);
        const after = await this.groups.write(trx, batch.roomId, before, stateAfter);
        for (const g of new Set([before, after])) if (g !== base) written.push(g);
        await trx('event_state').where('event_id', eventId).update({ state_group_before: before.id, state_group_after: after.id });
        rewritten.set(eventId, { before: before.id, after: after.id });
        base = after;
      }
      const softFailed = [...(batch.softFailed ?? [])];
      for (let i = 0; i < softFailed.length; i += 500) {
        const part = softFailed.slice(i, i + 500);
        await trx('events').whereIn('event_id', part).where('room_id', batch.roomId).update({ soft_failed: true });
        // As in persistOne: a soft-failed membership never happened as far as the room's members go.
        await trx('room_memberships').whereIn('event_id', part).del();
      }
      if (batch.newForwardExtremities !== undefined) {
        await trx('forward_extremities').where('room_id', batch.roomId).del();
        const rows = [...new Set(batch.newForwardExtremities)].map((eventId) => ({ room_id: batch.roomId, event_id: eventId }));
        if (rows.length > 0) await trx('forward_extremities').insert(rows);
      }
      members = await writeCurrentState(trx, this.dialect, batch.roomId, batch.newCurrentState, batch.events);
      await trx('partial_state_rooms').where('room_id', batch.roomId).del();
    });
    // Outliers all, so no timeline news; but their member events are rows of room_memberships.
    this.memory.changes.record([batch]);
    this.forgetChanged(members, members.size > 0 ? [batch.roomId] : [], [batch.roomId]);
    this.groups.remember(written);
    // The partial groups these events had are no longer theirs: new deltas must not build on them (the GC
    // deletes them once nothing else does).
    for (const [eventId, groups] of rewritten) this.memory.eventGroups.set(eventId, groups);
  }

  /** Drops what a commit changed from the read caches (room-memory.ts). */
  private forgetChanged(users: ReadonlySet<UserId>, memberRooms: Iterable<RoomId>, partialStateRooms: readonly RoomId[]): void {
    if (users.size > 0) this.memory.userRooms.invalidate(users);
    const rooms = [...memberRooms];
    if (rooms.length > 0) {
      this.memory.joinedMembers.invalidate(rooms);
      this.memory.joinedServers.invalidate(rooms);
    }
    if (partialStateRooms.length > 0) this.memory.partialState.invalidate(partialStateRooms);
  }

  findDeadStateGroups(limit: number): Promise<Map<RoomId, number[]>> {
    return findDeadStateGroups(this.knex, this.maxParams, limit);
  }

  async deleteDeadStateGroups(roomId: RoomId, ids: readonly number[]): Promise<number[]> {
    const deleted = await this.knex.transaction((trx) => deleteDeadStateGroups(trx, this.maxParams, roomId, ids));
    if (deleted.length > 0) {
      const gone = new Set(deleted);
      this.groups.forget(gone);
      this.memory.eventGroups.forgetGroups(gone);
    }
    return deleted;
  }

  private get maxParams(): number {
    return Math.max(1, this.dialect.maxBindParams - 10);
  }

  private async persistOne(
    trx: Knex.Transaction,
    ev: BatchEvent,
    localAfter: Map<EventId, LocalGroups>,
    written: ResolvedGroup[],
    writes: WriteBatch,
  ): Promise<void> {
    const { pdu } = ev;
    const isState = typeof pdu.state_key === 'string';
    const accepted = ev.rejectedReason === null;
    const key = isState ? `${pdu.type}${SEP}${pdu.state_key as string}` : null;
    const replacesState = key !== null && accepted && !ev.outlier && ev.stateBefore !== null ? (ev.stateBefore.get(key) ?? null) : null;

    // An event held as an outlier that now takes its place in the DAG (backfill reached it) is promoted.
    const promote =
      !ev.outlier && ev.builtHere !== true && (await trx('events').select('event_id').where({ event_id: ev.eventId, outlier: true }).first()) !== undefined;
    const prevIds = ev.outlier ? [] : [...new Set(pdu.prev_events.map(refId))];
    // An event built here points at the room's forward extremities, events we hold; and being new, it was
    // nobody's missing prev event. Two statements per message less. Checked before this event's own rows join
    // `writes`, so the flush that read needs is empty for a batch's first event.
    if (prevIds.length > 0 && ev.builtHere !== true) await this.updateBackwardExtremities(trx, ev.roomId, prevIds, localAfter, writes);
    if (promote) {
      await trx('events').where('event_id', ev.eventId).update({
        stream_ordering: ev.streamOrdering,
        depth: ev.depth,
        outlier: false,
        soft_failed: ev.softFailed,
        replaces_state: replacesState,
      });
    } else {
      writes.rows('events', [
        {
          event_id: ev.eventId,
          room_id: ev.roomId,
          stream_ordering: ev.streamOrdering,
          depth: ev.depth,
          type: pdu.type,
          state_key: isState ? pdu.state_key : null,
          sender: pdu.sender,
          origin_server_ts: pdu.origin_server_ts,
          json: JSON.stringify(pdu),
          outlier: ev.outlier,
          soft_failed: ev.softFailed,
          rejected_reason: ev.rejectedReason,
          replaces_state: replacesState,
          redacted_by: null,
          received_ts: Date.now(),
          // What the sending device's syncs show as unsigned.transaction_id (migration 0030).
          txn_device_id: ev.txn?.deviceId ?? null,
          txn_id: ev.txn?.txnId ?? null,
        },
      ]);
    }

    // An event's prev and auth events are read from its JSON; no table repeats them (migration 0026).
    if (!ev.outlier) {
      if (ev.builtHere !== true) await trx('backward_extremities').where({ room_id: ev.roomId, event_id: ev.eventId }).del();
      if (ev.stateBefore !== null) {
        const base = await this.baseGroup(trx, prevIds, localAfter);
        const before = await this.groups.write(trx, ev.roomId, base, ev.stateBefore);
        let after = before;
        if (key !== null && accepted) {
          const next = new Map(ev.stateBefore);
          next.set(key, ev.eventId);
          after = await this.groups.write(trx, ev.roomId, before, next);
        }
        for (const g of new Set([before, after])) if (g !== base) written.push(g);
        localAfter.set(ev.eventId, { before: before.id, after });
        // baseGroup reads event_state, but only for events outside this transaction (localAfter has the rest).
        writes.rows('event_state', [{ event_id: ev.eventId, state_group_before: before.id, state_group_after: after.id }]);
      }
    }

    // A soft-failed or rejected membership never happened as far as the room's members go: recording it would
    // show, say, a soft-failed kick to the local user it names as a leave in their /sync.
    if (promote && pdu.type === 'm.room.member') {
      await trx('room_memberships').where('event_id', ev.eventId).update({ stream_ordering: ev.streamOrdering });
    } else if (pdu.type === 'm.room.member' && isState && accepted && !ev.softFailed) {
      const membership = stringOrNull(pdu.content.membership) ?? 'leave';
      await trx('room_memberships').insert({
        event_id: ev.eventId,
        room_id: ev.roomId,
        user_id: pdu.state_key,
        sender: pdu.sender,
        membership,
        stream_ordering: ev.streamOrdering,
        display_name: stringOrNull(pdu.content.displayname),
        avatar_url: stringOrNull(pdu.content.avatar_url),
      });
      if (membership === 'join' || membership === 'invite' || membership === 'knock') {
        await trx('room_forgotten').where({ user_id: pdu.state_key, room_id: ev.roomId }).del();
      }
    }

    if (ev.txn !== undefined) {
      writes.rows('event_txn_ids', [
        {
          user_id: ev.txn.userId,
          device_id: ev.txn.deviceId,
          txn_id: ev.txn.txnId,
          room_id: ev.roomId,
          event_id: ev.eventId,
          created_ts: pdu.origin_server_ts,
        },
      ]);
    }

    if (pdu.type === 'm.room.redaction' && accepted) {
      const target = redactsOf(pdu);
      if (target !== undefined) {
        // The target may be an event of this transaction still in `writes`.
        await writes.flush(trx);
        await trx('redactions').insert({ event_id: ev.eventId, redacts: target, room_id: ev.roomId }).onConflict('event_id').ignore();
        if (ev.redactionApplies === true) {
          // The first applicable redaction wins; later ones are still recorded in `redactions`.
          await trx('events').where({ event_id: target, room_id: ev.roomId }).whereNull('redacted_by').update({ redacted_by: ev.eventId });
        }
      }
    }
  }

  /** The state group after the first prev event we know: the one the new groups are deltas against. */
  private async baseGroup(
    trx: Knex.Transaction,
    prevIds: readonly EventId[],
    localAfter: ReadonlyMap<EventId, LocalGroups>,
  ): Promise<ResolvedGroup | null> {
    for (const p of prevIds) {
      const local = localAfter.get(p);
      if (local !== undefined) return local.after;
    }
    if (prevIds.length === 0) return null;
    for (const p of prevIds) {
      const recent = this.memory.eventGroups.get(p);
      if (recent !== undefined) return this.groups.resolve(trx, recent.after);
    }
    const row: { state_group_after: unknown } | undefined = await trx('event_state')
      .select('state_group_after')
      .whereIn('event_id', [...prevIds])
      .first();
    if (row === undefined) return null;
    return this.groups.resolve(trx, Number(row.state_group_after));
  }

  /** prev_events we do not hold become backward extremities (where backfill continues). */
  private async updateBackwardExtremities(
    trx: Knex.Transaction,
    roomId: RoomId,
    prevIds: readonly EventId[],
    localAfter: ReadonlyMap<EventId, LocalGroups>,
    writes: WriteBatch,
  ): Promise<void> {
    const unknown = prevIds.filter((p) => !localAfter.has(p));
    if (unknown.length === 0) return;
    // A prev event may be one this transaction wrote and `writes` still holds.
    await writes.flush(trx);
    const known: Array<{ event_id: string }> = await trx('events').select('event_id').whereIn('event_id', unknown).where('outlier', false);
    const knownSet = new Set(known.map((r) => r.event_id));
    const missing = unknown.filter((p) => !knownSet.has(p)).map((eventId) => ({ room_id: roomId, event_id: eventId }));
    if (missing.length > 0) await this.dialect.upsert(trx, 'backward_extremities', missing, ['room_id', 'event_id'], []);
  }

  async setRoomPublic(roomId: RoomId, isPublic: boolean): Promise<void> {
    await this.knex('rooms').where('room_id', roomId).update({ is_public: isPublic });
  }

  async createAlias(alias: string, roomId: RoomId, creator: UserId, servers: readonly string[]): Promise<boolean> {
    try {
      await this.knex('room_aliases').insert({
        room_alias: alias,
        room_id: roomId,
        creator,
        servers: JSON.stringify(servers),
        created_ts: Date.now(),
      });
      return true;
    } catch (err) {
      if (this.dialect.isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async deleteAlias(alias: string): Promise<boolean> {
    const n = await this.knex('room_aliases').where('room_alias', alias).del();
    return n > 0;
  }

  async moveAliases(from: RoomId, to: RoomId): Promise<string[]> {
    return this.knex.transaction(async (trx) => {
      const rows: Array<{ room_alias: string }> = await trx('room_aliases').select('room_alias').where('room_id', from);
      if (rows.length > 0) await trx('room_aliases').where('room_id', from).update({ room_id: to });
      return rows.map((r) => r.room_alias);
    });
  }

  async forgetRoom(userId: UserId, roomId: RoomId): Promise<void> {
    await this.dialect.upsert(this.knex, 'room_forgotten', { user_id: userId, room_id: roomId, forgotten_ts: Date.now() }, ['user_id', 'room_id']);
  }

  async isRoomForgotten(userId: UserId, roomId: RoomId): Promise<boolean> {
    const row: unknown = await this.knex('room_forgotten').select('room_id').where({ user_id: userId, room_id: roomId }).first();
    return row !== undefined;
  }

  async getForgottenRoomIds(userId: UserId): Promise<Set<RoomId>> {
    const rows: Array<{ room_id: string }> = await this.knex('room_forgotten').select('room_id').where('user_id', userId);
    return new Set(rows.map((r) => r.room_id));
  }
}

function roomDbRow(row: RoomRow): Record<string, unknown> {
  return {
    room_id: row.roomId,
    room_version: row.roomVersion,
    creator: row.creator,
    is_public: row.isPublic,
    created_ts: row.createdTs,
  };
}
