import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, bodies, enc, membership, send, startFederation, stateMap, until, user, type FedServer } from './harness.js';
import { proxyInbound, type InboundProxy } from './partition.js';

// Convergence under forks (issue 11's "done when"): three servers share a v12 room; every server is cut off from
// the others (test proxies drop their transactions); hs1 and hs2 make conflicting power-level, join-rule and topic
// changes at the same time; hs1 and hs2 heal and each fills the other's branch (missing events / state at the
// missing prev events) and resolves the fork; then hs3 heals and catches up on both branches. All three end with
// identical current state maps, decided by state resolution and not by who heard what first.

async function stateContent(s: FedServer, u: RegisteredUser, roomId: string, type: string): Promise<Record<string, unknown>> {
  const r = await api(s, u, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/${type}/`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

describe('federation: concurrent conflicting state changes converge after a partition heals', () => {
  const overrides: Record<string, string> = {};
  let servers: [FedServer, FedServer, FedServer];
  let proxies: [InboundProxy, InboundProxy, InboundProxy];
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let roomId: string;

  const cut = (a: number, b: number) => {
    proxies[a]?.blocked.add((servers[b] as FedServer).name);
    proxies[b]?.blocked.add((servers[a] as FedServer).name);
  };
  const heal = (a: number, b: number) => {
    proxies[a]?.blocked.delete((servers[b] as FedServer).name);
    proxies[b]?.blocked.delete((servers[a] as FedServer).name);
  };

  before(async () => {
    servers = (await startFederation(['hs1.test', 'hs2.test', 'hs3.test'], overrides)) as [FedServer, FedServer, FedServer];
    proxies = [await proxyInbound(servers[0], overrides), await proxyInbound(servers[1], overrides), await proxyInbound(servers[2], overrides)];
    const [hs1, hs2, hs3] = servers;
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
    carol = await user(hs3, 'carol');
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', {
      preset: 'public_chat',
      room_version: '12',
      topic: 'before the split',
      power_level_content_override: { users: { [bob.userId]: 100 } },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    roomId = created.body.room_id as string;
    for (const [s, u] of [[hs2, bob], [hs3, carol]] as const) {
      const joined = await api(s, u, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs1.test`, {});
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
    }
    await send(hs1, alice, roomId, 'everyone here');
    for (const [s, u] of [[hs1, alice], [hs2, bob], [hs3, carol]] as const) {
      await until(`${s.name} sees both joins and the message`, async () =>
        (await membership(s, u, roomId, bob.userId)) === 'join' &&
        (await membership(s, u, roomId, carol.userId)) === 'join' &&
        (await bodies(s, u, roomId)).includes('everyone here'));
    }
  });
  after(async () => {
    for (const s of servers ?? []) await s?.server.close();
    for (const p of proxies ?? []) await p?.close();
  });

  test('hs1 and hs2 change the same state while all three are apart; all three agree once healed', async () => {
    const [hs1, hs2, hs3] = servers;
    cut(0, 1);
    cut(0, 2);
    cut(1, 2);
    const pl = await stateContent(hs1, alice, roomId, 'm.room.power_levels');
    const users = pl.users as Record<string, number>;
    // hs1's branch: alice sets a topic, closes the room to invites only and demotes bob.
    for (const [type, content] of [
      ['m.room.topic', { topic: 'from hs1' }],
      ['m.room.join_rules', { join_rule: 'invite' }],
      ['m.room.power_levels', { ...pl, users: { ...users, [bob.userId]: 50 } }],
    ] as const) {
      const r = await api(hs1, alice, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/${type}/`, content);
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    // hs2's branch, concurrently: bob sets another topic, makes the room knockable and gives carol power (in v12
    // the creator alice cannot be demoted).
    for (const [type, content] of [
      ['m.room.topic', { topic: 'from hs2' }],
      ['m.room.join_rules', { join_rule: 'knock' }],
      ['m.room.power_levels', { ...pl, users: { ...users, [carol.userId]: 50 } }],
    ] as const) {
      const r = await api(hs2, bob, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/${type}/`, content);
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    // Each side sees only its own branch.
    assert.equal((await stateContent(hs1, alice, roomId, 'm.room.topic')).topic, 'from hs1');
    assert.equal((await stateContent(hs2, bob, roomId, 'm.room.topic')).topic, 'from hs2');
    assert.equal((await stateContent(hs3, carol, roomId, 'm.room.topic')).topic, 'before the split');

    // hs1 and hs2 heal; their next messages reference their own branch, which the other has to fetch.
    heal(0, 1);
    await send(hs1, alice, roomId, 'hs1 after the split');
    await send(hs2, bob, roomId, 'hs2 after the split');
    for (const [s, u] of [[hs1, alice], [hs2, bob]] as const) {
      await until(`${s.name} has both post-split messages`, async () => {
        const seen = await bodies(s, u, roomId);
        return seen.includes('hs1 after the split') && seen.includes('hs2 after the split');
      }, 30000);
    }
    // One more message each merges the two branches in the DAG.
    await send(hs1, alice, roomId, 'hs1 merged');
    await send(hs2, bob, roomId, 'hs2 merged');
    for (const [s, u] of [[hs1, alice], [hs2, bob]] as const) {
      await until(`${s.name} has both merge messages`, async () => {
        const seen = await bodies(s, u, roomId);
        return seen.includes('hs1 merged') && seen.includes('hs2 merged');
      }, 30000);
    }
    const on1 = await stateMap(hs1, alice, roomId);
    const on2 = await stateMap(hs2, bob, roomId);
    assert.deepEqual([...on2].sort(), [...on1].sort());
    const topic = (await stateContent(hs1, alice, roomId, 'm.room.topic')).topic;
    assert.ok(topic === 'from hs1' || topic === 'from hs2', String(topic));
    const joinRule = (await stateContent(hs1, alice, roomId, 'm.room.join_rules')).join_rule;
    assert.ok(joinRule === 'invite' || joinRule === 'knock', String(joinRule));

    // hs3 heals last and has missed both branches.
    heal(0, 2);
    heal(1, 2);
    await send(hs1, alice, roomId, 'welcome back hs3');
    await until('hs3 has the latest message', async () => (await bodies(hs3, carol, roomId)).includes('welcome back hs3'), 30000);
    const on3 = await stateMap(hs3, carol, roomId);
    const on1After = await stateMap(hs1, alice, roomId);
    assert.deepEqual([...on3].sort(), [...on1After].sort());
    assert.equal((await stateContent(hs3, carol, roomId, 'm.room.topic')).topic, topic);
    assert.equal((await stateContent(hs3, carol, roomId, 'm.room.join_rules')).join_rule, joinRule);
    assert.deepEqual(await stateContent(hs3, carol, roomId, 'm.room.power_levels'), await stateContent(hs1, alice, roomId, 'm.room.power_levels'));

    // And the room keeps working from every side.
    await send(hs3, carol, roomId, 'carol is back');
    for (const [s, u] of [[hs1, alice], [hs2, bob]] as const) {
      await until(`${s.name} has carol's message`, async () => (await bodies(s, u, roomId)).includes('carol is back'), 30000);
    }
    assert.deepEqual([...(await stateMap(hs2, bob, roomId))].sort(), [...(await stateMap(hs3, carol, roomId))].sort());
  });
});
