import type { Knex } from 'knex';
import type { RoomId } from '../../types/ids.js';
import { toSafeNumber } from './dialect.js';

// Garbage collection of state groups (migrations/0002_rooms.ts). A group is live while an event's
// event_state row names it (state before or after) or a live group is a delta against it (prev_group).
// Groups lose their last reference when the partial-state resync gives events their full state
// (completePartialState rewrites event_state) and nothing else points at the old ones.
//
// Two steps, so the expensive scan holds no lock and the deletion is exact:
//  1. findDeadStateGroups scans without a transaction: leaf groups nobody names, then each one's chain of
//     prev_groups as long as a group is named by no event and all its children are dead too.
//  2. deleteDeadStateGroups re-checks those ids of ONE room in a transaction that the caller runs under the
//     room's writer lock (the only writer of that room's groups and event_state rows), so no new reference
//     can appear while it decides; whatever is named again, or is the delta base of a group outside the set,
//     stays together with its whole chain.
// The group with the highest id is never deleted: ids are allocated from MAX(id) at start, and a reused id
// would make another process's cache of the old group answer for the new one.

const SCAN_WINDOW = 5_000;

interface GroupRow {
  id: unknown;
  room_id: string;
  prev_group: unknown;
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The predicate of event_state's partial index on state_group_after (migration 0029); `prefix`: a table alias and dot. */
const changedState = (prefix = '') => `${prefix}state_group_after <> ${prefix}state_group_before`;

/** Ids among `ids` that an event_state row names (as state before or after). */
async function namedByEvents(db: Knex | Knex.Transaction, ids: readonly number[], maxParams: number): Promise<Set<number>> {
  const out = new Set<number>();
  for (const part of chunked(ids, maxParams)) {
    const before: Array<{ g: unknown }> = await db('event_state').distinct({ g: 'state_group_before' }).whereIn('state_group_before', part);
    // A row whose after equals its before named the group above; the others are what the partial index on
    // state_group_after holds (migration 0029), and the query must say so to be answered from it.
    const after: Array<{ g: unknown }> = await db('event_state')
      .distinct({ g: 'state_group_after' })
      .whereIn('state_group_after', part)
      .whereRaw(changedState());
    for (const r of [...before, ...after]) out.add(toSafeNumber(r.g, 'event_state.state_group'));
  }
  return out;
}

/** Groups that are a delta against one of `ids`: [child, parent]. */
async function childrenOf(db: Knex | Knex.Transaction, ids: readonly number[], maxParams: number): Promise<Array<[number, number]>> {
  const out: Array<[number, number]> = [];
  for (const part of chunked(ids, maxParams)) {
    const rows: Array<{ id: unknown; prev_group: unknown }> = await db('state_groups').select('id', 'prev_group').whereIn('prev_group', part);
    for (const r of rows) out.push([toSafeNumber(r.id, 'state_groups.id'), toSafeNumber(r.prev_group, 'state_groups.prev_group')]);
  }
  return out;
}

async function groupRows(db: Knex | Knex.Transaction, ids: readonly number[], maxParams: number): Promise<Map<number, { roomId: RoomId; prev: number | null }>> {
  const out = new Map<number, { roomId: RoomId; prev: number | null }>();
  for (const part of chunked(ids, maxParams)) {
    const rows: GroupRow[] = await db('state_groups').select('id', 'room_id', 'prev_group').whereIn('id', part);
    for (const r of rows) {
      out.set(toSafeNumber(r.id, 'state_groups.id'), { roomId: r.room_id, prev: r.prev_group === null ? null : toSafeNumber(r.prev_group, 'state_groups.prev_group') });
    }
  }
  return out;
}

/**
 * Step 1: groups no event names, directly or through deltas built on them, by room (at most about `limit`).
 * Reads only; the answer may be stale by the time it is used, which step 2 allows for.
 */
export async function findDeadStateGroups(knex: Knex, maxParams: number, limit: number): Promise<Map<RoomId, number[]>> {
  const leaves = new Map<number, { roomId: RoomId; prev: number | null }>();
  const top: { m?: unknown } | undefined = await knex('state_groups').max({ m: 'id' }).first();
  const maxId = top?.m === null || top?.m === undefined ? 0 : toSafeNumber(top.m, 'MAX(state_groups.id)');
  // Windows of ids keep each statement short: SQLite has one connection that every request shares.
  for (let from = 0; from < maxId && leaves.size < limit; from += SCAN_WINDOW) {
    const rows: GroupRow[] = await knex('state_groups as g')
      .select('g.id', 'g.room_id', 'g.prev_group')
      .where('g.id', '>', from)
      .andWhere('g.id', '<=', from + SCAN_WINDOW)
      .andWhere('g.id', '<', maxId)
      // As in namedByEvents: rows with after = before are found by the next line.
      .whereNotExists((q) => void q.select(knex.raw('1')).from('event_state as a').whereRaw(`a.state_group_after = g.id and ${changedState('a.')}`))
      .whereNotExists((q) => void q.select(knex.raw('1')).from('event_state as b').whereRaw('b.state_group_before = g.id'))
      .whereNotExists((q) => void q.select(knex.raw('1')).from('state_groups as c').whereRaw('c.prev_group = g.id'));
    for (const r of rows) {
      leaves.set(toSafeNumber(r.id, 'state_groups.id'), { roomId: r.room_id, prev: r.prev_group === null ? null : toSafeNumber(r.prev_group, 'state_groups.prev_group') });
    }
  }
  const dead = new Map(leaves);
  // Down the delta chains, a level at a time: a base dies when no event names it and all its children died.
  let frontier = [...new Set([...leaves.values()].map((g) => g.prev).filter((p): p is number => p !== null && !dead.has(p)))];
  while (frontier.length > 0) {
    const named = await namedByEvents(knex, frontier, maxParams);
    const children = await childrenOf(knex, frontier, maxParams);
    const liveChild = new Set(children.filter(([c]) => !dead.has(c)).map(([, p]) => p));
    const newlyDead = frontier.filter((p) => !named.has(p) && !liveChild.has(p) && p !== maxId);
    const rows = await groupRows(knex, newlyDead, maxParams);
    for (const [id, row] of rows) dead.set(id, row);
    frontier = [...new Set([...rows.values()].map((g) => g.prev).filter((p): p is number => p !== null && !dead.has(p)))];
  }
  const byRoom = new Map<RoomId, number[]>();
  for (const [id, { roomId }] of dead) {
    let list = byRoom.get(roomId);
    if (list === undefined) byRoom.set(roomId, (list = []));
    list.push(id);
  }
  return byRoom;
}

/**
 * Step 2: deletes those of `ids` (groups of `roomId`) that are still dead, in one transaction; returns the ids
 * deleted. The caller holds the room's writer lock. A room still in partial state is left alone: its resync
 * reads the states recorded since the join.
 */
export async function deleteDeadStateGroups(trx: Knex.Transaction, maxParams: number, roomId: RoomId, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  if ((await trx('partial_state_rooms').select('room_id').where('room_id', roomId).first()) !== undefined) return [];
  const rows = await groupRows(trx, ids, maxParams);
  const set = new Map([...rows].filter(([, g]) => g.roomId === roomId));
  const top: { m?: unknown } | undefined = await trx('state_groups').max({ m: 'id' }).first();
  const keep: number[] = [...(await namedByEvents(trx, [...set.keys()], maxParams))];
  for (const [child, parent] of await childrenOf(trx, [...set.keys()], maxParams)) if (!set.has(child)) keep.push(parent);
  if (top?.m !== null && top?.m !== undefined) keep.push(toSafeNumber(top.m, 'MAX(state_groups.id)'));
  // A kept group needs its whole chain of bases.
  const kept = new Set<number>();
  for (let g of keep) {
    for (;;) {
      const row = set.get(g);
      if (row === undefined || kept.has(g)) break;
      kept.add(g);
      if (row.prev === null) break;
      g = row.prev;
    }
  }
  const doomed = [...set.keys()].filter((g) => !kept.has(g));
  for (const part of chunked(doomed, maxParams)) {
    await trx('state_group_entries').whereIn('state_group', part).del();
    await trx('state_groups').whereIn('id', part).del();
  }
  return doomed;
}
