import type { Knex } from 'knex';
import type { EventId } from '../../types/ids.js';
import type { StateKey } from '../../types/pdu.js';
import { toSafeNumber } from './dialect.js';
import { chunks } from './room-read-rows.js';

// Resolves state groups (migrations/0002_rooms.ts) into full state maps. A group is either a full snapshot
// (prev_group null) or a delta against prev_group, where an entry with event_id NULL removes the key.
// Groups never change once written, so resolved maps are cached; the cache is bounded by the number of
// entries it holds (a large room's state can be tens of thousands of keys) rather than by group count.

const KEY_SEP = '\u0000';

/** A least-recently-used cache of resolved groups, weighted by map size. */
export class StateGroupCache {
  private readonly entries = new Map<number, ReadonlyMap<StateKey, EventId>>();
  private weight = 0;

  constructor(private readonly maxWeight: number) {}

  get(group: number): ReadonlyMap<StateKey, EventId> | undefined {
    const hit = this.entries.get(group);
    if (hit !== undefined) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.entries.delete(group);
      this.entries.set(group, hit);
    }
    return hit;
  }

  set(group: number, state: ReadonlyMap<StateKey, EventId>): void {
    const cost = Math.max(1, state.size);
    if (cost > this.maxWeight) return;
    const old = this.entries.get(group);
    if (old !== undefined) {
      this.entries.delete(group);
      this.weight -= Math.max(1, old.size);
    }
    this.entries.set(group, state);
    this.weight += cost;
    for (const [key, value] of this.entries) {
      if (this.weight <= this.maxWeight) break;
      this.entries.delete(key);
      this.weight -= Math.max(1, value.size);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

interface ChainRow {
  id: unknown;
  prev_group: unknown;
  n: unknown;
}

interface EntryRow {
  state_group: unknown;
  type: string;
  state_key: string;
  event_id: string | null;
}

export class StateGroupResolver {
  /** Resolutions under way: concurrent askers (the woken syncs of one room) share one read. */
  private readonly inflight = new Map<number, Promise<ReadonlyMap<StateKey, EventId>>>();

  constructor(
    private readonly knex: Knex,
    private readonly maxBindParams: number,
    private readonly cache: StateGroupCache,
  ) {}

  /**
   * The full state of `group` (a fresh map the caller may change). Two queries at most: the chain of
   * prev_groups down to a snapshot (recursive CTE), then the entries of the groups above the nearest
   * cached one.
   */
  async resolve(group: number): Promise<Map<StateKey, EventId>> {
    const cached = this.cache.get(group);
    if (cached !== undefined) return new Map(cached);
    let pending = this.inflight.get(group);
    if (pending === undefined) {
      pending = this.load(group).finally(() => this.inflight.delete(group));
      this.inflight.set(group, pending);
    }
    return new Map(await pending);
  }

  /**
   * resolve() of each of `groups` (fresh maps): the uncached ones with one chain query and one entries query
   * per chunk of groups, not two per group (an initial sync resolves the state of every room it returns).
   */
  async resolveMany(groups: Iterable<number>): Promise<Map<number, Map<StateKey, EventId>>> {
    const out = new Map<number, Map<StateKey, EventId>>();
    const missing: number[] = [];
    for (const group of new Set(groups)) {
      const cached = this.cache.get(group);
      if (cached !== undefined) out.set(group, new Map(cached));
      else missing.push(group);
    }
    if (missing.length <= 1) {
      for (const group of missing) out.set(group, await this.resolve(group));
      return out;
    }
    for (const part of chunks(missing, this.maxBindParams)) {
      const chains = await this.chains(part);
      const plans = new Map<number, { base: ReadonlyMap<StateKey, EventId> | undefined; needed: number[] }>();
      const wanted = new Set<number>();
      for (const group of part) {
        const chain = chains.get(group) ?? [];
        if (chain.length === 0) throw new Error(`state group ${group} does not exist`);
        const plan = this.plan(chain);
        plans.set(group, plan);
        for (const id of plan.needed) wanted.add(id);
      }
      const byGroup = await this.entries([...wanted]);
      for (const [group, plan] of plans) out.set(group, new Map(this.apply(plan.base, plan.needed, byGroup)));
    }
    return out;
  }

  /** chain[0] is the group itself, the last element the snapshot: stop at the first group we already know. */
  private plan(chain: readonly number[]): { base: ReadonlyMap<StateKey, EventId> | undefined; needed: number[] } {
    for (let i = 0; i < chain.length; i++) {
      const hit = this.cache.get(chain[i] as number);
      if (hit !== undefined) return { base: hit, needed: chain.slice(0, i) };
    }
    return { base: undefined, needed: [...chain] };
  }

  private async load(group: number): Promise<ReadonlyMap<StateKey, EventId>> {
    const chain = await this.chain(group);
    if (chain.length === 0) throw new Error(`state group ${group} does not exist`);
    const { base, needed } = this.plan(chain);
    return this.apply(base, needed, await this.entries(needed));
  }

  /** The state of needed[0]: `base` (the state below the chain, if cached) with the deltas of `needed` on top. */
  private apply(base: ReadonlyMap<StateKey, EventId> | undefined, needed: readonly number[], byGroup: ReadonlyMap<number, EntryRow[]>): ReadonlyMap<StateKey, EventId> {
    const state = new Map<StateKey, EventId>(base ?? []);
    // Apply from the oldest (deepest) to `group`. The snapshot is cached too: sibling chains share it.
    for (let i = needed.length - 1; i >= 0; i--) {
      const id = needed[i] as number;
      for (const row of byGroup.get(id) ?? []) {
        const key = `${row.type}${KEY_SEP}${row.state_key}`;
        if (row.event_id === null) state.delete(key);
        else state.set(key, row.event_id);
      }
      if (i === 0 || (base === undefined && i === needed.length - 1)) this.cache.set(id, new Map(state));
    }
    return state;
  }

  /** For each of `groups`, the group ids from it down to its snapshot, in that order. */
  private async chains(groups: readonly number[]): Promise<Map<number, number[]>> {
    const rows: Array<ChainRow & { root: unknown }> = await this.knex
      .withRecursive('chain', ['root', 'id', 'prev_group', 'n'], (qb) => {
        void qb
          .select('id', 'id', 'prev_group', this.knex.raw('0'))
          .from('state_groups')
          .whereIn('id', groups)
          .unionAll((u) => {
            void u
              .select('c.root', 'g.id', 'g.prev_group', this.knex.raw('c.n + 1'))
              .from('state_groups as g')
              .join('chain as c', 'g.id', 'c.prev_group');
          });
      })
      .select('root', 'id', 'n')
      .from('chain')
      .orderBy([{ column: 'root' }, { column: 'n' }]);
    const out = new Map<number, number[]>();
    for (const r of rows) {
      const root = toSafeNumber(r.root, 'state_groups.id');
      let list = out.get(root);
      if (list === undefined) out.set(root, (list = []));
      list.push(toSafeNumber(r.id, 'state_groups.id'));
    }
    return out;
  }

  /** Group ids from `group` down to its snapshot, in that order. */
  private async chain(group: number): Promise<number[]> {
    const rows: ChainRow[] = await this.knex
      .withRecursive('chain', ['id', 'prev_group', 'n'], (qb) => {
        void qb
          .select('id', 'prev_group', this.knex.raw('0'))
          .from('state_groups')
          .where('id', group)
          .unionAll((u) => {
            void u
              .select('g.id', 'g.prev_group', this.knex.raw('c.n + 1'))
              .from('state_groups as g')
              .join('chain as c', 'g.id', 'c.prev_group');
          });
      })
      .select('id', 'prev_group', 'n')
      .from('chain')
      .orderBy('n', 'asc');
    return rows.map((r) => toSafeNumber(r.id, 'state_groups.id'));
  }

  private async entries(groups: readonly number[]): Promise<Map<number, EntryRow[]>> {
    const out = new Map<number, EntryRow[]>();
    for (const part of chunks(groups, this.maxBindParams)) {
      if (part.length === 0) continue;
      const rows: EntryRow[] = await this.knex('state_group_entries')
        .select('state_group', 'type', 'state_key', 'event_id')
        .whereIn('state_group', part);
      for (const row of rows) {
        const id = toSafeNumber(row.state_group, 'state_group_entries.state_group');
        let list = out.get(id);
        if (list === undefined) out.set(id, (list = []));
        list.push(row);
      }
    }
    return out;
  }
}
