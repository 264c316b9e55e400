// A small DAG builder for state-resolution tests: events get synthetic ids (`$NAME`), increasing
// origin_server_ts, auth events chosen from the state before them (auth events selection), and the state after
// every node computed the way a server would: the resolution of the states after its prev events.
import type { RoomVersion } from '../../../src/protocol/room-versions.js';
import type { EventId } from '../../../src/types/ids.js';
import type { JsonObject } from '../../../src/types/json.js';
import type { Pdu, RoomEvent, StateKey } from '../../../src/types/pdu.js';
import { stateKey } from '../../../src/protocol/state-key.js';
import { authStateKeysFor } from '../../../src/protocol/auth/index.js';
import { MemoryStateResStore, resolveState } from '../../../src/protocol/state-res/index.js';

export const ALICE = '@alice:example.com';
export const BOB = '@bob:example.com';
export const CHARLIE = '@charlie:example.com';
export const EVELYN = '@evelyn:example.com';
export const ZARA = '@zara:example.com';

export interface EventSpec {
  id: string;
  sender: string;
  type: string;
  stateKey?: string;
  content: JsonObject;
}

export const member = (id: string, sender: string, target: string, membership: string): EventSpec => ({
  id,
  sender,
  type: 'm.room.member',
  stateKey: target,
  content: { membership },
});
export const state = (id: string, sender: string, type: string, content: JsonObject, key = ''): EventSpec => ({
  id,
  sender,
  type,
  stateKey: key,
  content,
});
export const message = (id: string, sender: string): EventSpec => ({ id, sender, type: 'm.room.message', content: {} });

/** Power-levels content; v12 creators have infinite power and may not be listed, so they are dropped there. */
export function powerLevels(version: RoomVersion, users: Record<string, number>, extra: JsonObject = {}): JsonObject {
  const listed = Object.entries(users).filter(([u]) => !(version.privilegedCreators && u === ALICE));
  return { users: Object.fromEntries(listed), ...extra };
}

export class RoomDag {
  readonly store = new MemoryStateResStore();
  readonly events = new Map<string, RoomEvent>();
  readonly stateAfter = new Map<string, Map<StateKey, EventId>>();
  private ts = 0;

  constructor(readonly version: RoomVersion) {}

  get roomId(): string {
    return this.version.roomIdFromCreateEvent ? '!CREATE' : '!room:example.com';
  }

  id(name: string): EventId {
    return `$${name}`;
  }

  event(name: string): RoomEvent {
    const ev = this.events.get(name);
    if (!ev) throw new Error(`no event ${name}`);
    return ev;
  }

  state(name: string): Map<StateKey, EventId> {
    const s = this.stateAfter.get(name);
    if (!s) throw new Error(`no state after ${name}`);
    return s;
  }

  /** Adds `spec` after `prevs`, resolving their states if there are several. */
  async add(spec: EventSpec, prevs: string[]): Promise<RoomEvent> {
    const before =
      prevs.length === 0
        ? new Map<StateKey, EventId>()
        : prevs.length === 1
          ? new Map(this.state(prevs[0] as string))
          : await resolveState(this.version, prevs.map((p) => this.state(p)), this.store);
    return this.addWithState(spec, prevs, before);
  }

  /** Adds `spec` with an explicit state before it (for hand-made forks and resets). */
  addWithState(spec: EventSpec, prevs: string[], before: ReadonlyMap<StateKey, EventId>): RoomEvent {
    const v = this.version;
    const isCreate = spec.type === 'm.room.create';
    const partial: Pick<Pdu, 'type' | 'sender' | 'state_key' | 'content'> = {
      type: spec.type,
      sender: spec.sender,
      content: spec.content,
      ...(spec.stateKey !== undefined ? { state_key: spec.stateKey } : {}),
    };
    const authIds = isCreate
      ? []
      : authStateKeysFor(v, partial).flatMap((k) => before.get(k) ?? []);
    const ref = (id: EventId): EventId | [EventId, Record<string, string>] => (v.eventRefsArePairs ? [id, {}] : id);
    const depth = Math.max(0, ...prevs.map((p) => this.event(p).pdu.depth)) + 1;
    const eventId = this.id(spec.id);
    const pdu: Pdu = {
      ...partial,
      ...(isCreate && v.roomIdFromCreateEvent ? {} : { room_id: this.roomId }),
      ...(v.eventIdFormat === 'v1' ? { event_id: eventId } : {}),
      origin_server_ts: this.ts++,
      prev_events: prevs.map((p) => ref(this.id(p))),
      auth_events: authIds.map(ref),
      depth,
      hashes: { sha256: '' },
      signatures: {},
    };
    const ev: RoomEvent = { eventId, pdu };
    this.events.set(spec.id, ev);
    this.store.add(ev);
    const after = new Map(before);
    if (spec.stateKey !== undefined) after.set(stateKey(spec.type, spec.stateKey), eventId);
    this.stateAfter.set(spec.id, after);
    return ev;
  }

  /**
   * Builds a graph from edge chains (`['END', 'B', 'A']` means END follows B follows A), adding nodes in a
   * topological order with ties broken by name.
   */
  async build(specs: EventSpec[], edges: string[][]): Promise<void> {
    const prevs = new Map<string, Set<string>>();
    const byId = new Map(specs.map((s) => [s.id, s]));
    for (const s of specs) prevs.set(s.id, new Set());
    for (const chain of edges) {
      for (let i = 0; i + 1 < chain.length; i++) prevs.get(chain[i] as string)?.add(chain[i + 1] as string);
    }
    const done = new Set<string>();
    while (done.size < specs.length) {
      const ready = [...prevs.keys()]
        .filter((id) => !done.has(id) && [...(prevs.get(id) ?? [])].every((p) => done.has(p)))
        .sort();
      const next = ready[0];
      if (next === undefined) throw new Error('cycle in test graph');
      await this.add(byId.get(next) as EventSpec, [...(prevs.get(next) ?? [])].sort());
      done.add(next);
    }
  }
}

/** The room every classic scenario starts from: alice creates it, bob, charlie and zara join, START follows. */
export function initialEvents(version: RoomVersion): EventSpec[] {
  return [
    state('CREATE', ALICE, 'm.room.create', version.implicitCreator ? {} : { creator: ALICE }),
    member('IMA', ALICE, ALICE, 'join'),
    state('IPOWER', ALICE, 'm.room.power_levels', powerLevels(version, { [ALICE]: 100 })),
    state('IJR', ALICE, 'm.room.join_rules', { join_rule: 'public' }),
    member('IMB', BOB, BOB, 'join'),
    member('IMC', CHARLIE, CHARLIE, 'join'),
    member('IMZ', ZARA, ZARA, 'join'),
    message('START', ZARA),
    message('END', ZARA),
  ];
}
export const INITIAL_EDGES = ['START', 'IMZ', 'IMC', 'IMB', 'IJR', 'IPOWER', 'IMA', 'CREATE'];

/**
 * Builds the initial room plus `specs` with `edges`, and returns the state at END restricted to the keys that
 * changed since START or that `expected` names, as node names (`$X` -> `X`), sorted.
 */
export async function stateAtEnd(
  version: RoomVersion,
  specs: EventSpec[],
  edges: string[][],
  expected: string[],
): Promise<{ got: string[]; want: string[] }> {
  const dag = new RoomDag(version);
  await dag.build([...initialEvents(version), ...specs], [INITIAL_EDGES, ...edges]);
  const keyOf = (name: string): StateKey => {
    const { type, state_key: sk } = dag.event(name).pdu;
    return stateKey(type, sk ?? '');
  };
  const expectedKeys = new Set(expected.map(keyOf));
  const start = dag.state('START');
  const got: string[] = [];
  for (const [k, v] of dag.state('END')) {
    if (expectedKeys.has(k) || start.get(k) !== v) got.push(v.slice(1));
  }
  return { got: got.sort(), want: [...expected].sort() };
}

/** mulberry32: a tiny seeded PRNG so property tests are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: readonly T[], rnd: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}
