import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { xMatrixAuthorization } from '../../../src/federation/outbound/index.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, bodies, enc, membership, send, startFederation, until, user, type FedServer } from './harness.js';
import { proxyInbound, type InboundProxy } from './partition.js';

// Missing events (server-server API, "Retrieving missing events" and the state at an event): hs2 loses what
// hs1 sends while a test proxy drops hs1's transactions to it; the next event that reaches hs2 references
// events hs2 never got, and hs2 fills the gap from hs1: with /get_missing_events when the gap is small, and
// through /state_ids when it is larger than one /get_missing_events answer.

describe('federation: missing events and gap filling', () => {
  const overrides: Record<string, string> = {};
  let hs1: FedServer;
  let hs2: FedServer;
  let hs3: FedServer;
  let toHs1: InboundProxy;
  let toHs2: InboundProxy;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;

  before(async () => {
    [hs1, hs2, hs3] = (await startFederation(['hs1.test', 'hs2.test', 'hs3.test'], overrides)) as [FedServer, FedServer, FedServer];
    toHs1 = await proxyInbound(hs1, overrides);
    toHs2 = await proxyInbound(hs2, overrides);
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: '12' });
    roomId = created.body.room_id as string;
    const joined = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs1.test`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    await until('hs1 sees bob', async () => (await membership(hs1, alice, roomId, bob.userId)) === 'join');
  });
  after(async () => {
    for (const s of [hs3, hs2, hs1]) await s?.server.close();
    await toHs1?.close();
    await toHs2?.close();
  });

  async function post(as: FedServer, to: FedServer, uri: string, content: Record<string, unknown>) {
    const header = xMatrixAuthorization({ method: 'POST', uri, origin: as.name, destination: to.name, content }, as.key);
    const res = await fetch(`${to.server.baseUrl}${uri}`, {
      method: 'POST',
      headers: { Authorization: header, 'Content-Type': 'application/json' },
      body: JSON.stringify(content),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  test('POST /get_missing_events returns the events between earliest and latest, oldest first, to a server in the room', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await send(hs1, alice, roomId, `gme ${i}`));
    const uri = `/_matrix/federation/v1/get_missing_events/${enc(roomId)}`;
    const body = { earliest_events: [ids[0]], latest_events: [ids[4]], limit: 10, min_depth: 0 };
    const res = await post(hs2, hs1, uri, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertMatchesSpec('server-server', 'POST', '/_matrix/federation/v1/get_missing_events/{roomId}', 200, res.body);
    const got = (res.body.events as Array<{ content: { body?: string } }>).map((e) => e.content.body);
    assert.deepEqual(got, ['gme 1', 'gme 2', 'gme 3']);

    const limited = await post(hs2, hs1, uri, { ...body, limit: 2 });
    assert.deepEqual((limited.body.events as Array<{ content: { body?: string } }>).map((e) => e.content.body), ['gme 2', 'gme 3']);

    const stranger = await post(hs3, hs1, uri, body);
    assert.equal(stranger.status, 403);
    assert.equal(stranger.body.errcode, 'M_FORBIDDEN');

    const bad = await post(hs2, hs1, uri, { earliest_events: [], latest_events: 'nope' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errcode, 'M_BAD_JSON');
    await until('hs2 has the five', async () => (await bodies(hs2, bob, roomId)).includes('gme 4'));
  });

  test('a small gap: hs2 lost five events and fetches them with /get_missing_events when the next arrives', async () => {
    toHs2.blocked.add('hs1.test');
    const lost: string[] = [];
    for (let i = 0; i < 5; i++) {
      lost.push(`lost ${i}`);
      await send(hs1, alice, roomId, `lost ${i}`);
    }
    // Give hs1's queue time to "deliver" them into the void.
    await until('hs1 sent the lost events', async () => toHs2.seen.some((r) => r.origin === 'hs1.test' && r.path.startsWith('/_matrix/federation/v1/send/')) && (await new Promise((r) => setTimeout(r, 300)).then(() => true)));
    assert.equal((await bodies(hs2, bob, roomId)).includes('lost 0'), false);
    toHs2.blocked.delete('hs1.test');
    const before = toHs1.seen.length;
    await send(hs1, alice, roomId, 'after the gap');
    await until('hs2 has everything in order', async () => {
      const seen = await bodies(hs2, bob, roomId);
      const tail = seen.slice(-6);
      return tail.join('|') === [...lost, 'after the gap'].join('|');
    });
    const asked = toHs1.seen.slice(before).filter((r) => r.origin === 'hs2.test').map((r) => r.path);
    assert.ok(asked.some((p) => p.startsWith('/_matrix/federation/v1/get_missing_events/')), asked.join('\n'));
    assert.ok(!asked.some((p) => p.startsWith('/_matrix/federation/v1/state_ids/')), 'no state fetch was needed');
  });

  test('a gap larger than one /get_missing_events answer goes through /state_ids and ends with the right state', async () => {
    toHs2.blocked.add('hs1.test');
    const topic = await api(hs1, alice, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: 'set in the gap' });
    assert.equal(topic.status, 200);
    for (let i = 0; i < 60; i++) await send(hs1, alice, roomId, `deep ${i}`);
    await new Promise((r) => setTimeout(r, 500));
    toHs2.blocked.delete('hs1.test');
    const before = toHs1.seen.length;
    await send(hs1, alice, roomId, 'after the deep gap');
    await until('hs2 has the last message', async () => (await bodies(hs2, bob, roomId)).includes('after the deep gap'), 30000);
    const asked = toHs1.seen.slice(before).filter((r) => r.origin === 'hs2.test').map((r) => r.path);
    assert.ok(asked.some((p) => p.startsWith('/_matrix/federation/v1/state_ids/')), asked.join('\n'));
    const onHs2 = await api(hs2, bob, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`);
    assert.equal(onHs2.status, 200, JSON.stringify(onHs2.body));
    assert.equal(onHs2.body.topic, 'set in the gap');
    const seen = await bodies(hs2, bob, roomId);
    // The newest 50 before the new event came through /get_missing_events, in order.
    const expected = [...Array.from({ length: 50 }, (_, i) => `deep ${i + 10}`), 'after the deep gap'];
    assert.deepEqual(seen.slice(-51), expected);
    // Sending still works both ways afterwards.
    await send(hs2, bob, roomId, 'bob after the gap');
    await until('hs1 has bob\'s message', async () => (await bodies(hs1, alice, roomId)).includes('bob after the gap'));
  });
});
