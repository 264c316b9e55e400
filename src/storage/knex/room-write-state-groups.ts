import type { Knex } from 'knex';
import type { EventId } from '../../types/ids.js';
import type { StateKey } from '../../types/pdu.js';
import { toSafeNumber } from './dialect.js';

// Writing state groups (migrations/0002_rooms.ts): a group is a full snapshot (prev_group NULL) or a delta
// against prev_group, where an entry with event_id NULL removes the key. New groups are deltas against the
// group of the event they follow, so the tables grow with state changes rather than with room size times
// events. A new snapshot starts when the chain would hold more entry rows than the state itself (or more than
// MAX_DELTA_DEPTH links): reading a state then costs at most about twice reading a snapshot, and snapshots get
// rarer as the state grows. Capping the chain by links alone makes a room of n members that keeps changing
// state store about n²/(2·cap) rows; capping by rows makes a snapshot "pay" for the deltas before it.

export const MAX_DELTA_DEPTH = 500;
/** Below this many chain rows a delta is always fine: small rooms need no snapshot per handful of changes. */
export const MIN_CHAIN_ROWS = 100;

const SEP = '\u0000';

/** A group together with its full state, as the writer needs it to delta-encode the next one. */
export interface ResolvedGroup {
  readonly id: number;
  readonly state: ReadonlyMap<StateKey, EventId>;
  readonly deltaDepth: number;
  /** Entry rows of the delta chain down to the snapshot (the snapshot's own rows excluded). */
  readonly chainRows: number;
}

interface GroupRow {
  id: unknown;
  prev_group: unknown;
  delta_depth: unknown;
  chain_rows: unknown;
}

interface EntryRow {
  state_group: unknown;
  type: string;
  state_key: string;
  event_id: string | null;
}

function splitKey(key: StateKey): [string, string] {
  const i = key.indexOf(SEP);
  return [key.slice(0, i), key.slice(i + 1)];
}

/** Keys whose value differs between `base` and `target` (null: removed in target). */
export function stateDelta(
  base: ReadonlyMap<StateKey, EventId>,
  target: ReadonlyMap<StateKey, EventId>,
): Array<[StateKey, EventId | null]> {
  const out: Array<[StateKey, EventId | null]> = [];
  for (const [k, v] of target) if (base.get(k) !== v) out.push([k, v]);
  if (base.size + out.length > target.size) {
    for (const k of base.keys()) if (!target.has(k)) out.push([k, null]);
  }
  return out;
}

/**
 * Allocates group ids and writes groups. One instance per store. Ids come from memory, seeded with
 * MAX(id) before the first write (the single-writer assumption of the events stream applies here too).
 * Resolved groups are kept in a small LRU: the next event of a room almost always builds on the group
 * the previous one produced, so the common case needs no query at all.
 */
export class StateGroupWriter {
  private lastId: number | null = null;
  private seeding: Promise<void> | null = null;
  private readonly cache = new Map<number, ResolvedGroup>();
  /**
   * The group each state map given to `write` became. A map is not changed once handed over (EventToPersist),
   * so the same map on the same base is the same state: each message sent on a kept room draft hands over
   * the map its previous event did, and a big room's state is not compared key by key for every message.
   */
  private readonly groupOfMap = new WeakMap<ReadonlyMap<StateKey, EventId>, number>();

  constructor(private readonly maxCached = 128) {}

  /** Seeds the id counter; call with the plain connection before opening a transaction (SQLite has one connection). */
  async prepare(knex: Knex): Promise<void> {
    if (this.lastId !== null) return;
    this.seeding ??= (async () => {
      const row: { max_id?: unknown } | undefined = await knex('state_groups').max({ max_id: 'id' }).first();
      const raw = row?.max_id;
      this.lastId ??= raw === null || raw === undefined ? 0 : toSafeNumber(raw, 'MAX(state_groups.id)');
    })().finally(() => {
      this.seeding = null;
    });
    await this.seeding;
  }

  /** Remembers groups written by a transaction once it committed. */
  remember(groups: Iterable<ResolvedGroup>): void {
    for (const g of groups) {
      this.cache.delete(g.id);
      this.cache.set(g.id, g);
    }
    while (this.cache.size > this.maxCached) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }

  /** Drops deleted groups (state-group-gc.ts), so no new delta is built on one. */
  forget(ids: ReadonlySet<number>): void {
    for (const id of ids) this.cache.delete(id);
  }

  /** The full state of a stored group, read through `db` (the open transaction). */
  async resolve(db: Knex | Knex.Transaction, id: number): Promise<ResolvedGroup> {
    const hit = this.cache.get(id);
    if (hit !== undefined) return hit;
    // prev_group links down to the snapshot in one query; only the part above a cached group is read.
    const rows: GroupRow[] = await db
      .withRecursive('chain', ['id', 'prev_group', 'delta_depth', 'chain_rows', 'n'], (qb) => {
        void qb
          .select('id', 'prev_group', 'delta_depth', 'chain_rows', db.raw('0'))
          .from('state_groups')
          .where('id', id)
          .unionAll((u) => {
            void u
              .select('g.id', 'g.prev_group', 'g.delta_depth', 'g.chain_rows', db.raw('c.n + 1'))
              .from('state_groups as g')
              .join('chain as c', 'g.id', 'c.prev_group');
          });
      })
      .select('id', 'prev_group', 'delta_depth', 'chain_rows')
      .from('chain')
      .orderBy('n', 'asc');
    if (rows.length === 0) throw new Error(`state group ${id} does not exist`);
    const chain: Array<{ id: number; depth: number; chainRows: number }> = [];
    let base: ResolvedGroup | undefined;
    for (const row of rows) {
      const gid = toSafeNumber(row.id, 'state_groups.id');
      const cached = this.cache.get(gid);
      if (cached !== undefined) {
        base = cached;
        break;
      }
      chain.push({ id: gid, depth: toSafeNumber(row.delta_depth, 'state_groups.delta_depth'), chainRows: toSafeNumber(row.chain_rows, 'state_groups.chain_rows') });
    }
    const entries: EntryRow[] = [];
    // SQLite binds at most a few thousand parameters per statement.
    for (let i = 0; i < chain.length; i += 500) {
      const part = chain.slice(i, i + 500).map((c) => c.id);
      entries.push(...((await db('state_group_entries').select('state_group', 'type', 'state_key', 'event_id').whereIn('state_group', part)) as EntryRow[]));
    }
    const byGroup = new Map<number, EntryRow[]>();
    for (const r of entries) {
      const g = toSafeNumber(r.state_group, 'state_group_entries.state_group');
      let list = byGroup.get(g);
      if (list === undefined) byGroup.set(g, (list = []));
      list.push(r);
    }
    const state = new Map<StateKey, EventId>(base?.state ?? []);
    for (let i = chain.length - 1; i >= 0; i--) {
      for (const r of byGroup.get((chain[i] as { id: number }).id) ?? []) {
        const key = `${r.type}${SEP}${r.state_key}`;
        if (r.event_id === null) state.delete(key);
        else state.set(key, r.event_id);
      }
    }
    const first = chain[0];
    const resolved: ResolvedGroup = {
      id,
      state,
      deltaDepth: first !== undefined ? first.depth : (base?.deltaDepth ?? 0),
      chainRows: first !== undefined ? first.chainRows : (base?.chainRows ?? 0),
    };
    this.remember([resolved]);
    return resolved;
  }

  /**
   * The group for `state`: `base` itself when nothing changed, else a new delta against `base` (or a full
   * snapshot when there is no base or its chain is at the cap). Written through `trx`.
   */
  async write(
    trx: Knex.Transaction,
    roomId: string,
    base: ResolvedGroup | null,
    state: ReadonlyMap<StateKey, EventId>,
  ): Promise<ResolvedGroup> {
    if (base !== null && this.groupOfMap.get(state) === base.id) return base;
    let entries: Array<[StateKey, EventId | null]>;
    let prev: number | null = null;
    let deltaDepth = 0;
    let chainRows = 0;
    const delta = base !== null ? stateDelta(base.state, state) : null;
    if (base !== null && delta !== null && delta.length === 0) {
      this.groupOfMap.set(state, base.id);
      return base;
    }
    if (base !== null && delta !== null && base.deltaDepth < MAX_DELTA_DEPTH && base.chainRows + delta.length <= Math.max(MIN_CHAIN_ROWS, state.size)) {
      entries = delta;
      prev = base.id;
      deltaDepth = base.deltaDepth + 1;
      chainRows = base.chainRows + delta.length;
    } else {
      entries = [...state];
    }
    if (this.lastId === null) throw new Error('StateGroupWriter.prepare() was not called');
    const id = ++this.lastId;
    await trx('state_groups').insert({ id, room_id: roomId, prev_group: prev, delta_depth: deltaDepth, chain_rows: chainRows });
    const rows = entries.map(([key, eventId]) => {
      const [type, stateKey] = splitKey(key);
      return { state_group: id, type, state_key: stateKey, event_id: eventId };
    });
    // 4 parameters per row; SQLite caps a multi-row insert at 500 rows.
    for (let i = 0; i < rows.length; i += 500) await trx('state_group_entries').insert(rows.slice(i, i + 500));
    this.groupOfMap.set(state, id);
    return { id, state: new Map(state), deltaDepth, chainRows };
  }
}
