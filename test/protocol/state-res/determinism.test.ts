// Property: the resolved state does not depend on the order of the state sets, on the order of the entries
// inside them, nor on the order in which the store received the events.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { roomVersion, type RoomVersion } from '../../../src/protocol/room-versions.js';
import { MemoryStateResStore, resolveState } from '../../../src/protocol/state-res/index.js';
import {
  ALICE,
  BOB,
  CHARLIE,
  EVELYN,
  ZARA,
  RoomDag,
  initialEvents,
  member,
  powerLevels,
  prng,
  shuffle,
  state,
  type EventSpec,
} from './fixtures.js';

const USERS = [ALICE, BOB, CHARLIE, ZARA, EVELYN];

function randomSpec(v: RoomVersion, id: string, rnd: () => number): EventSpec {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const kind = rnd();
  if (kind < 0.25) return state(id, pick(USERS), 'm.room.topic', { topic: id });
  if (kind < 0.45) {
    const users: Record<string, number> = { [ALICE]: 100 };
    for (const u of USERS.slice(1)) if (rnd() < 0.5) users[u] = pick([0, 50, 75, 100]);
    return state(id, pick([ALICE, BOB, CHARLIE]), 'm.room.power_levels', powerLevels(v, users));
  }
  if (kind < 0.55) return state(id, pick([ALICE, BOB]), 'm.room.join_rules', { join_rule: pick(['public', 'invite']) });
  const target = pick(USERS.slice(1));
  const sender = pick(USERS);
  const membership = sender === target ? pick(['join', 'leave']) : pick(['ban', 'leave', 'invite']);
  return member(id, sender, target, membership);
}

async function randomRoom(v: RoomVersion, seed: number): Promise<{ dag: RoomDag; names: string[] }> {
  const rnd = prng(seed);
  const dag = new RoomDag(v);
  let prev: string | undefined;
  for (const s of initialEvents(v).filter((e) => e.id.startsWith('I') || e.id === 'CREATE')) {
    await dag.add(s, prev === undefined ? [] : [prev]);
    prev = s.id;
  }
  const names: string[] = [prev as string];
  for (let i = 0; i < 24; i++) {
    const a = names[Math.floor(rnd() * names.length)] as string;
    const b = names[Math.floor(rnd() * names.length)] as string;
    const prevs = rnd() < 0.3 && a !== b ? [a, b] : [a];
    const spec = randomSpec(v, `E${i}`, rnd);
    await dag.add(spec, prevs);
    names.push(spec.id);
  }
  return { dag, names };
}

const sorted = (m: ReadonlyMap<string, string>): string[][] => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

for (const id of ['1', '11', '12']) {
  const v = roomVersion(id);
  describe(`state resolution ${v.stateRes} (room v${id}) is deterministic`, () => {
    test('shuffling state sets, their entries and event delivery never changes the result', async () => {
      let conflictedRuns = 0;
      for (let seed = 1; seed <= 40; seed++) {
        const { dag, names } = await randomRoom(v, seed * 7919);
        const rnd = prng(seed);
        const picks = shuffle(names, rnd).slice(0, 3);
        const sets = picks.map((n) => dag.state(n));
        const reference = sorted(await resolveState(v, sets, dag.store));
        if (new Set(sets.map((s) => JSON.stringify(sorted(s)))).size > 1) conflictedRuns++;

        for (let round = 0; round < 5; round++) {
          const store = new MemoryStateResStore(shuffle([...dag.events.values()], rnd));
          const shuffledSets = shuffle(sets, rnd).map((s) => new Map(shuffle([...s], rnd)));
          const got = sorted(await resolveState(v, shuffledSets, store));
          assert.deepEqual(got, reference, `seed ${seed}, round ${round}, states after ${picks.join(', ')}`);
        }
      }
      // The property is only meaningful if most runs actually had something to resolve.
      assert.ok(conflictedRuns >= 30, `only ${conflictedRuns} runs had conflicts`);
    });
  });
}
