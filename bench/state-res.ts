// State-resolution benchmark: a synthetic room with N members forked into two branches with conflicting
// power-level, join-rule, topic and membership changes, resolved with the in-memory store.
//
//   npx tsx bench/state-res.ts           10,000 members
//   npx tsx bench/state-res.ts --quick   1,000 members
//
// `run(opts)` returns the figures so bench/run.ts can collect them.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { roomVersion, type RoomVersion } from '../src/protocol/room-versions.js';
import { stateKey } from '../src/protocol/state-key.js';
import { authStateKeysFor } from '../src/protocol/auth/index.js';
import { MemoryStateResStore, resolveState } from '../src/protocol/state-res/index.js';
import type { EventId } from '../src/types/ids.js';
import type { JsonObject } from '../src/types/json.js';
import type { Pdu, RoomEvent, StateKey } from '../src/types/pdu.js';

export interface StateResBenchOptions {
  /** Members joined before the fork (default 10,000). */
  members?: number;
  /** Room versions to resolve with, one row each (default v1, v11 for state res v2, v12 for v2.1). */
  versions?: string[];
  /** Timed repetitions; the median is reported (default 5). */
  repeats?: number;
}

export interface StateResBenchRow {
  roomVersion: string;
  algorithm: string;
  members: number;
  /** Events in the room (both branches). */
  events: number;
  conflictedKeys: number;
  /** Median wall time of resolveState over the two branch states. */
  resolveMs: number;
  /** Median wall time to walk the full auth chains of both branch states, for comparison. */
  authChainWalkMs: number;
  storeCalls: { getEvents: number; getAuthChain: number; getRejected: number };
  /** Entries of the resolved state, and how many came from each branch where they differed. */
  resolvedEntries: number;
}

export interface StateResBenchResult {
  rows: StateResBenchRow[];
}

const ALICE = '@alice:bench.example';
const BOB = '@bob:bench.example';
const user = (i: number) => `@u${i}:bench.example`;

class RoomBuilder {
  readonly store = new MemoryStateResStore();
  private ts = 0;
  private n = 0;
  readonly roomId: string;

  constructor(readonly version: RoomVersion) {
    this.roomId = version.roomIdFromCreateEvent ? '!CREATE' : '!bench:bench.example';
  }

  /** Appends an event after `prev` on a branch whose state is `state` (updated in place). */
  add(
    state: Map<StateKey, EventId>,
    prev: RoomEvent | undefined,
    spec: { sender: string; type: string; stateKey: string; content: JsonObject; id?: string },
  ): RoomEvent {
    const v = this.version;
    const isCreate = spec.type === 'm.room.create';
    const partial = { type: spec.type, sender: spec.sender, state_key: spec.stateKey, content: spec.content };
    const authIds = isCreate ? [] : authStateKeysFor(v, partial).flatMap((k) => state.get(k) ?? []);
    const ref = (id: EventId): EventId | [EventId, Record<string, string>] => (v.eventRefsArePairs ? [id, {}] : id);
    const eventId = `$${spec.id ?? `e${this.n++}`}`;
    const pdu: Pdu = {
      ...partial,
      ...(isCreate && v.roomIdFromCreateEvent ? {} : { room_id: this.roomId }),
      ...(v.eventIdFormat === 'v1' ? { event_id: eventId } : {}),
      origin_server_ts: this.ts++,
      prev_events: prev ? [ref(prev.eventId)] : [],
      auth_events: authIds.map(ref),
      depth: (prev?.pdu.depth ?? 0) + 1,
      hashes: { sha256: '' },
      signatures: {},
    };
    const ev: RoomEvent = { eventId, pdu };
    this.store.add(ev);
    state.set(stateKey(spec.type, spec.stateKey), eventId);
    return ev;
  }
}

function powerLevels(v: RoomVersion, users: Record<string, number>): JsonObject {
  return { users: Object.fromEntries(Object.entries(users).filter(([u]) => !(v.privilegedCreators && u === ALICE))) };
}

/** Builds the room and its two branches; returns the store and the state at the tip of each branch. */
export function buildForkedRoom(v: RoomVersion, members: number) {
  const b = new RoomBuilder(v);
  const s = new Map<StateKey, EventId>();
  let tip = b.add(s, undefined, {
    id: 'CREATE',
    sender: ALICE,
    type: 'm.room.create',
    stateKey: '',
    content: v.implicitCreator ? {} : { creator: ALICE },
  });
  const member = (sender: string, target: string, membership: string) => ({
    sender,
    type: 'm.room.member',
    stateKey: target,
    content: { membership },
  });
  tip = b.add(s, tip, member(ALICE, ALICE, 'join'));
  tip = b.add(s, tip, { sender: ALICE, type: 'm.room.power_levels', stateKey: '', content: powerLevels(v, { [ALICE]: 100, [BOB]: 50 }) });
  tip = b.add(s, tip, { sender: ALICE, type: 'm.room.join_rules', stateKey: '', content: { join_rule: 'public' } });
  tip = b.add(s, tip, member(BOB, BOB, 'join'));
  for (let i = 0; i < members; i++) tip = b.add(s, tip, member(user(i), user(i), 'join'));

  // Each branch touches a tenth of the members (disjoint halves of the first fifth), plus the shared keys.
  const slice = Math.max(1, Math.floor(members / 10));
  const a = new Map(s);
  let ta = tip;
  ta = b.add(a, ta, { sender: ALICE, type: 'm.room.power_levels', stateKey: '', content: powerLevels(v, { [ALICE]: 100, [BOB]: 0 }) });
  ta = b.add(a, ta, { sender: ALICE, type: 'm.room.topic', stateKey: '', content: { topic: 'branch A' } });
  ta = b.add(a, ta, { sender: ALICE, type: 'm.room.join_rules', stateKey: '', content: { join_rule: 'invite' } });
  for (let i = 0; i < slice; i++) {
    ta = b.add(a, ta, i % 2 === 0 ? member(ALICE, user(i), 'leave') : member(user(i), user(i), 'leave'));
  }

  const bb = new Map(s);
  let tb = tip;
  tb = b.add(bb, tb, { sender: BOB, type: 'm.room.power_levels', stateKey: '', content: powerLevels(v, { [ALICE]: 100, [BOB]: 50, [user(0)]: 50 }) });
  tb = b.add(bb, tb, { sender: BOB, type: 'm.room.topic', stateKey: '', content: { topic: 'branch B' } });
  for (let i = slice; i < 2 * slice && i < members; i++) {
    tb = b.add(bb, tb, i % 2 === 0 ? member(BOB, user(i), 'ban') : member(user(i), user(i), 'leave'));
  }
  for (let i = 0; i < slice; i++) tb = b.add(bb, tb, member(user(members + i), user(members + i), 'join'));

  return { store: b.store, stateSets: [a, bb] as const };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)] ?? 0;
}

export async function run(opts: StateResBenchOptions = {}): Promise<StateResBenchResult> {
  const members = opts.members ?? 10_000;
  const repeats = opts.repeats ?? 5;
  const rows: StateResBenchRow[] = [];
  for (const id of opts.versions ?? ['1', '11', '12']) {
    const v = roomVersion(id);
    const { store, stateSets } = buildForkedRoom(v, members);
    const keys = new Set<StateKey>([...stateSets[0].keys(), ...stateSets[1].keys()]);
    let conflictedKeys = 0;
    for (const k of keys) if (stateSets[0].get(k) !== stateSets[1].get(k)) conflictedKeys++;

    const resolveTimes: number[] = [];
    const walkTimes: number[] = [];
    let resolved = new Map<StateKey, EventId>();
    let calls = { getEvents: 0, getAuthChain: 0, getRejected: 0 };
    for (let r = 0; r < repeats; r++) {
      const before = { ...store.calls };
      const t0 = performance.now();
      resolved = await resolveState(v, stateSets, store);
      resolveTimes.push(performance.now() - t0);
      calls = {
        getEvents: store.calls.getEvents - before.getEvents,
        getAuthChain: store.calls.getAuthChain - before.getAuthChain,
        getRejected: store.calls.getRejected - before.getRejected,
      };

      const t1 = performance.now();
      for (const s of stateSets) store.walkAuthChain(s.values());
      walkTimes.push(performance.now() - t1);
    }
    rows.push({
      roomVersion: v.id,
      algorithm: v.stateRes,
      members,
      events: store.size,
      conflictedKeys,
      resolveMs: median(resolveTimes),
      authChainWalkMs: median(walkTimes),
      storeCalls: calls,
      resolvedEntries: resolved.size,
    });
  }
  return { rows };
}

function formatTable(rows: StateResBenchRow[]): string {
  const head = ['room', 'algorithm', 'members', 'events', 'conflicted keys', 'resolve ms', 'auth-chain walk ms', 'store calls'];
  const body = rows.map((r) => [
    `v${r.roomVersion}`,
    r.algorithm,
    String(r.members),
    String(r.events),
    String(r.conflictedKeys),
    r.resolveMs.toFixed(1),
    r.authChainWalkMs.toFixed(1),
    `${r.storeCalls.getEvents + r.storeCalls.getAuthChain + r.storeCalls.getRejected}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const result = await run({ members: quick ? 1_000 : 10_000 });
  process.stdout.write(`state resolution, two branches of a ${quick ? '1,000' : '10,000'}-member room\n`);
  process.stdout.write(`${formatTable(result.rows)}\n`);
}
