import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, bodies, enc, membership, send, startFederation, stateMap, until, user, type FedServer, type StateMap } from './harness.js';
import { buildPdu, roomHeads, sendTransaction, type RoomView } from './forge.js';

// A state reset across three real servers (room versions 12 and 11), the one state resolution v2.1 (room v12)
// was made to prevent. On a linear history alice sets PL1 (bob 50), then PL2 (bob 100) and a topic T2 (its auth
// events cite PL2); bob, allowed by PL2, sets PL3 (carol 75). Then a late event arrives: a topic from alice whose
// prev event is PL1 but whose auth events cite PL2 (what a server with a stale branch may send; the auth rules
// allow it, both against its auth events and against the state after PL1). Every server now resolves
// {PL3, T2, ...} against {PL1, T2', ...}. PL2 is in both states' auth chains, so v2 leaves it out of the auth
// difference, replays PL1 then PL3 on top of the unconflicted state, rejects PL3 (bob has 50 under PL1) and
// resets the power levels to PL1, which un-does bob's change on every server. v2.1 also replays the conflicted
// state subgraph (PL3 -> PL2 -> PL1) from an empty state, so PL3 stands.

async function putState(s: FedServer, u: RegisteredUser, roomId: string, type: string, content: Record<string, unknown>): Promise<string> {
  const r = await api(s, u, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/${type}/`, content);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.event_id as string;
}

interface Outcome {
  ids: { pl1: string; pl2: string; pl3: string; t2: string; late: string };
  /** Current state map of each server once all of them have the late event and a message after it. */
  states: StateMap[];
}

async function runScenario(roomVersion: string): Promise<Outcome> {
  const overrides: Record<string, string> = {};
  const servers = (await startFederation(['hs1.test', 'hs2.test', 'hs3.test'], overrides)) as [FedServer, FedServer, FedServer];
  try {
    const [hs1, hs2, hs3] = servers;
    const alice = await user(hs1, 'alice');
    const bob = await user(hs2, 'bob');
    const carol = await user(hs3, 'carol');
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: roomVersion });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const roomId = created.body.room_id as string;
    for (const [s, u] of [[hs2, bob], [hs3, carol]] as const) {
      const joined = await api(s, u, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs1.test`, {});
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
    }
    await until('hs1 sees bob and carol', async () =>
      (await membership(hs1, alice, roomId, bob.userId)) === 'join' && (await membership(hs1, alice, roomId, carol.userId)) === 'join');

    const base = (await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`)).body;
    const users = (base.users ?? {}) as Record<string, number>;
    const pl1 = await putState(hs1, alice, roomId, 'm.room.power_levels', { ...base, users: { ...users, [bob.userId]: 50 } });
    const pl2 = await putState(hs1, alice, roomId, 'm.room.power_levels', { ...base, users: { ...users, [bob.userId]: 100 } });
    const t2 = await putState(hs1, alice, roomId, 'm.room.topic', { topic: 'under PL2' });
    await until('hs2 has PL2', async () => (await stateMap(hs2, bob, roomId)).get('m.room.power_levels|') === pl2);
    const pl3 = await putState(hs2, bob, roomId, 'm.room.power_levels', { ...base, users: { ...users, [bob.userId]: 100, [carol.userId]: 75 } });
    for (const [s, u] of [[hs1, alice], [hs2, bob], [hs3, carol]] as const) {
      await until(`${s.name} has PL3 and T2`, async () => {
        const m = await stateMap(s, u, roomId);
        return m.get('m.room.power_levels|') === pl3 && m.get('m.room.topic|') === t2;
      });
    }

    // The late topic: prev event PL1, auth events as of PL2 (create only below v12, where it is listed).
    const view: RoomView = { resident: hs1, viewer: alice, roomId, version: roomVersion };
    const heads = await roomHeads(view);
    const auth = [heads.stateId('m.room.create'), pl2, heads.stateId('m.room.member', alice.userId)].filter(
      (x): x is string => x !== undefined && !(roomVersion === '12' && x === heads.stateId('m.room.create')),
    );
    const late = await buildPdu(view, hs1, alice.userId, 'm.room.topic', { topic: 'late, built on PL1' }, { stateKey: '', prevEvents: [pl1], authEvents: auth, depth: 5 });
    // hs1's own copy of this branch never reached the others in time: hs2 and hs3 get it now, hs1 fetches it
    // as a missing prev event of bob's next message.
    for (const to of [hs2, hs3]) {
      const res = await sendTransaction(hs1, to, [late.pdu]);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.pdus, { [late.eventId]: {} }, `${to.name} accepts the late event`);
    }
    await send(hs2, bob, roomId, 'after the late topic');
    for (const [s, u] of [[hs1, alice], [hs2, bob], [hs3, carol]] as const) {
      await until(`${s.name} has bob's message`, async () => (await bodies(s, u, roomId)).includes('after the late topic'), 30000);
    }
    // Every server holds the late event as part of the room (not soft-failed), so its resolution took it in.
    for (const [s, u] of [[hs1, alice], [hs2, bob], [hs3, carol]] as const) {
      const got = await api(s, u, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(late.eventId)}`);
      assert.equal(got.status, 200, `${s.name} serves the late event: ${JSON.stringify(got.body)}`);
    }
    const states = [await stateMap(hs1, alice, roomId), await stateMap(hs2, bob, roomId), await stateMap(hs3, carol, roomId)];
    return { ids: { pl1, pl2, pl3, t2, late: late.eventId }, states };
  } finally {
    for (const s of servers) await s.server.close();
  }
}

describe('federation: a state reset that room v12 state resolution prevents', () => {
  let v12: Outcome;
  let v11: Outcome;
  before(async () => {
    v12 = await runScenario('12');
    v11 = await runScenario('11');
  });

  test('room v12: every server keeps PL3 after the late event; the three state maps are identical', () => {
    const [s1, s2, s3] = v12.states as [StateMap, StateMap, StateMap];
    for (const s of [s1, s2, s3]) assert.equal(s.get('m.room.power_levels|'), v12.ids.pl3);
    assert.deepEqual([...s2].sort(), [...s1].sort());
    assert.deepEqual([...s3].sort(), [...s1].sort());
  });

  test('room v11: the same history resets the power levels to PL1 on every server (the failure v12 fixes)', () => {
    const [s1, s2, s3] = v11.states as [StateMap, StateMap, StateMap];
    for (const s of [s1, s2, s3]) assert.equal(s.get('m.room.power_levels|'), v11.ids.pl1);
    assert.deepEqual([...s2].sort(), [...s1].sort());
    assert.deepEqual([...s3].sort(), [...s1].sort());
  });
});
