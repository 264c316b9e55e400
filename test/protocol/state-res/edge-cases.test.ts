// v2.1's fix for a state reset, and how rejected or missing events are treated.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { roomVersion, type RoomVersion } from '../../../src/protocol/room-versions.js';
import { stateKey } from '../../../src/protocol/state-key.js';
import { MemoryStateResStore, resolveState } from '../../../src/protocol/state-res/index.js';
import {
  ALICE,
  BOB,
  CHARLIE,
  RoomDag,
  initialEvents,
  member,
  powerLevels,
  state,
  type EventSpec,
} from './fixtures.js';

const PL = stateKey('m.room.power_levels', '');
const TOPIC = stateKey('m.room.topic', '');

async function linear(v: RoomVersion, specs: EventSpec[]): Promise<RoomDag> {
  const dag = new RoomDag(v);
  let prev: string | undefined;
  for (const s of specs) {
    await dag.add(s, prev === undefined ? [] : [prev]);
    prev = s.id;
  }
  return dag;
}

const room = (v: RoomVersion): EventSpec[] => initialEvents(v).filter((e) => e.id.startsWith('I') || e.id === 'CREATE');

describe('state reset that state resolution v2.1 fixes', () => {
  // PL1 gives bob 50, PL2 gives him 100, and bob's PL3 promotes charlie to 75, which only PL2 allows. One state
  // set holds PL3; the other holds PL1 next to a topic that was authorised by PL2 (it already lost PL2 once).
  // PL2 is in both auth chains, so it is not in the auth difference: v2 replays PL1 then PL3, rejects PL3 and
  // resets the power levels to PL1. v2.1 adds PL2 as part of the conflicted state subgraph (PL3 -> PL2 -> PL1).
  async function scenario(v: RoomVersion): Promise<Map<string, string>> {
    const dag = await linear(v, [
      ...room(v),
      state('PL1', ALICE, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 50 })),
      state('PL2', ALICE, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 100 })),
      state('T2', ALICE, 'm.room.topic', { topic: 'under PL2' }),
      state('PL3', BOB, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 100, [CHARLIE]: 75 })),
    ]);
    const a = new Map(dag.state('PL3'));
    a.delete(TOPIC);
    const b = new Map(dag.state('T2'));
    b.set(PL, dag.id('PL1'));
    return resolveState(v, [a, b], dag.store);
  }

  test('v2 (room v11) resets the power levels to the older PL1', async () => {
    const out = await scenario(roomVersion('11'));
    assert.equal(out.get(PL), '$PL1');
    assert.equal(out.get(TOPIC), '$T2');
  });

  test('v2.1 (room v12) keeps PL3 by replaying PL2 from the conflicted subgraph', async () => {
    const out = await scenario(roomVersion('12'));
    assert.equal(out.get(PL), '$PL3');
    assert.equal(out.get(TOPIC), '$T2');
  });
});

describe('rejected and missing events', () => {
  const v12 = roomVersion('12');
  // bob gets power 50 and sets a topic; the other branch has no topic. v2.1 starts from the empty state, so
  // bob's membership for the topic's auth check must come from the topic's own auth events.
  async function topicFork(): Promise<{ dag: RoomDag; sets: Map<string, string>[] }> {
    const dag = await linear(v12, [
      ...room(v12),
      state('PL1', ALICE, 'm.room.power_levels', powerLevels(v12, { [BOB]: 50 })),
      state('TB', BOB, 'm.room.topic', { topic: 'bob' }),
    ]);
    return { dag, sets: [dag.state('TB'), dag.state('PL1')] };
  }

  test('an event authorised by its own auth events is accepted', async () => {
    const { dag, sets } = await topicFork();
    const out = await resolveState(v12, sets, dag.store);
    assert.equal(out.get(TOPIC), '$TB');
  });

  test('a rejected auth event is not used, so the event fails the checks', async () => {
    const { dag, sets } = await topicFork();
    dag.store.add(dag.event('IMB'), { rejected: true });
    const out = await resolveState(v12, sets, dag.store);
    assert.equal(out.has(TOPIC), false);
    // The rejected event stays in the unconflicted state: rejection only bars its use as an auth event.
    assert.equal(out.get(stateKey('m.room.member', BOB)), '$IMB');
  });

  test('a missing auth event leaves the key unresolvable, so the event fails the checks', async () => {
    const { dag, sets } = await topicFork();
    const store = new MemoryStateResStore([...dag.events.values()].filter((e) => e.eventId !== '$IMB'));
    const out = await resolveState(v12, sets, store);
    assert.equal(out.has(TOPIC), false);
  });

  test('a conflicted event missing from the store drops out without failing the resolution', async () => {
    const { dag, sets } = await topicFork();
    const store = new MemoryStateResStore([...dag.events.values()].filter((e) => e.eventId !== '$TB'));
    const out = await resolveState(v12, sets, store);
    assert.equal(out.has(TOPIC), false);
    assert.equal(out.get(PL), '$PL1');
  });

  test('unconflicted state is returned as is, without touching the store', async () => {
    const { dag } = await topicFork();
    const s = dag.state('TB');
    const store = new MemoryStateResStore();
    const out = await resolveState(v12, [s, new Map(s)], store);
    assert.deepEqual([...out].sort(), [...s].sort());
    assert.deepEqual(store.calls, { getEvents: 0, getAuthChain: 0, getRejected: 0 });
  });

  test('a v2 key present in only one state set is conflicted and re-authorised', async () => {
    const v11 = roomVersion('11');
    // bob has no power for the topic under IPOWER: the branch that "has" it was never valid.
    const dag = await linear(v11, [...room(v11), state('TB', BOB, 'm.room.topic', { topic: 'bob' })]);
    const out = await resolveState(v11, [dag.state('TB'), dag.state('IMB')], dag.store);
    assert.equal(out.has(TOPIC), false);
  });
});

describe('state resolution v1 (room v1)', () => {
  const v1 = roomVersion('1');

  test('a key present in only one state set is not a conflict and is kept', async () => {
    const dag = await linear(v1, [...room(v1), state('TB', BOB, 'm.room.topic', { topic: 'bob' })]);
    const out = await resolveState(v1, [dag.state('TB'), dag.state('IMB')], dag.store);
    assert.equal(out.get(TOPIC), '$TB');
  });

  test('conflicting topics: the deepest event that passes auth wins', async () => {
    const dag = await linear(v1, [...room(v1)]);
    await dag.add(state('TA', ALICE, 'm.room.topic', { topic: 'a' }), ['IMB']);
    await dag.add(member('MA2', ALICE, ALICE, 'join'), ['IMB']);
    await dag.add(state('TC', ALICE, 'm.room.topic', { topic: 'c' }), ['MA2']);
    // TC is deeper than TA.
    const out = await resolveState(v1, [dag.state('TA'), dag.state('TC')], dag.store);
    assert.equal(out.get(TOPIC), '$TC');

    // When the deeper one fails auth in R (bob has no power), the next one is taken.
    await dag.add(state('TD', BOB, 'm.room.topic', { topic: 'd' }), ['MA2']);
    const out2 = await resolveState(v1, [dag.state('TA'), dag.state('TD')], dag.store);
    assert.equal(out2.get(TOPIC), '$TA');
  });

  test('conflicting power levels: walk up from the shallowest while each change is allowed', async () => {
    const dag = await linear(v1, [...room(v1)]);
    await dag.add(state('PA', ALICE, 'm.room.power_levels', { users: { [ALICE]: 100, [BOB]: 50 } }), ['IMB']);
    // bob (50) tries to make himself 100 on top of PA: not allowed, so PA stays.
    await dag.add(state('PB', BOB, 'm.room.power_levels', { users: { [ALICE]: 100, [BOB]: 100 } }), ['PA']);
    const out = await resolveState(v1, [dag.state('PA'), dag.state('PB')], dag.store);
    assert.equal(out.get(PL), '$PA');

    // alice's later change on top of PA is allowed, so it wins.
    await dag.add(state('PC', ALICE, 'm.room.power_levels', { users: { [ALICE]: 100, [BOB]: 75 } }), ['PA']);
    const out2 = await resolveState(v1, [dag.state('PA'), dag.state('PC')], dag.store);
    assert.equal(out2.get(PL), '$PC');
  });

  test('a membership conflict is resolved against the resolved power levels', async () => {
    const dag = await linear(v1, [...room(v1)]);
    // Branch 1: alice bans bob. Branch 2: bob leaves. Ban (depth) vs leave: ascending depth, the second must be
    // allowed on top of the first.
    await dag.add(member('BAN', ALICE, BOB, 'ban'), ['IMB']);
    await dag.add(member('LEAVE', BOB, BOB, 'leave'), ['IMB']);
    const out = await resolveState(v1, [dag.state('BAN'), dag.state('LEAVE')], dag.store);
    const winner = out.get(stateKey('m.room.member', BOB));
    // Same depth, so sha1 decides which comes first; either way the ban ends up in state: bob cannot leave
    // once banned, but alice can ban him after he left.
    assert.equal(winner, '$BAN');
  });
});
