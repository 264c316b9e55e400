import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'matrix-js-sdk';
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';
import { xMatrixAuthorization } from '../../../src/federation/outbound/index.js';
import { startAndWaitPrepared } from '../../interop/sdk-helpers.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, enc, membership, send, startFederation, until, user, type FedServer } from './harness.js';
import { proxyInbound, type InboundProxy } from './partition.js';

// Backfill (server-server API): hs1 serves GET /backfill, and a user on hs3 who joins late pages back with
// /messages past the oldest event hs3 holds (its own join): hs3 fetches the older history from a server in the
// room and the user sees what was said before the join (history_visibility `shared`), in order, exactly once.

(sdkLogger as unknown as { disableAll(): void }).disableAll();

interface ClientEventShape {
  type: string;
  event_id: string;
  content: { body?: string; topic?: string };
}

describe('federation: backfill', () => {
  const overrides: Record<string, string> = {};
  let hs1: FedServer;
  let hs2: FedServer;
  let hs3: FedServer;
  let hs4: FedServer;
  let toHs1: InboundProxy;
  let toHs2: InboundProxy;
  const backfillRequests = () =>
    [...toHs1.seen, ...toHs2.seen].filter((r) => r.origin === 'hs3.test' && r.path.startsWith('/_matrix/federation/v1/backfill/')).length;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let roomId: string;
  const said: string[] = [];

  before(async () => {
    [hs1, hs2, hs3, hs4] = (await startFederation(['hs1.test', 'hs2.test', 'hs3.test', 'hs4.test'], overrides)) as [FedServer, FedServer, FedServer, FedServer];
    toHs1 = await proxyInbound(hs1, overrides);
    toHs2 = await proxyInbound(hs2, overrides);
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
    carol = await user(hs3, 'carol');
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: '12', name: 'history' });
    roomId = created.body.room_id as string;
    const joined = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs1.test`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    await until('hs1 sees bob', async () => (await membership(hs1, alice, roomId, bob.userId)) === 'join');
    for (let i = 0; i < 40; i++) {
      const [s, u] = i % 3 === 0 ? [hs2, bob] : [hs1, alice];
      const text = `before carol ${i}`;
      await send(s, u, roomId, text);
      said.push(text);
      // One message after another in the DAG too (no forks), so the expected order is unambiguous.
      const [other, viewer] = s === hs1 ? [hs2, bob] : [hs1, alice];
      await until(`${other.name} has ${text}`, async () => {
        const r = await api(other, viewer, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=1`);
        return (r.body.chunk as ClientEventShape[] | undefined)?.[0]?.content.body === text;
      });
      if (i === 20) await api(hs1, alice, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: 'midway' });
    }
    await until('hs1 has everything', async () => {
      const r = await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=1`);
      return (r.body.chunk as ClientEventShape[])[0]?.content.body === said.at(-1);
    });
  });
  after(async () => {
    for (const s of [hs4, hs3, hs2, hs1]) await s?.server.close();
    await toHs1?.close();
    await toHs2?.close();
  });

  test('GET /backfill returns the v events and those before them, newest first, to a server in the room', async () => {
    const latest = await api(hs1, alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=1`);
    const v = (latest.body.chunk as ClientEventShape[])[0]?.event_id as string;
    const uri = `/_matrix/federation/v1/backfill/${enc(roomId)}?v=${enc(v)}&limit=5`;
    const get = async (as: FedServer) => {
      const header = xMatrixAuthorization({ method: 'GET', uri, origin: as.name, destination: 'hs1.test' }, as.key);
      const res = await fetch(`${hs1.server.baseUrl}${uri}`, { headers: { Authorization: header } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const res = await get(hs2);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertMatchesSpec('server-server', 'GET', '/_matrix/federation/v1/backfill/{roomId}', 200, res.body);
    const pdus = res.body.pdus as Array<{ type: string; content: { body?: string } }>;
    assert.equal(pdus.length, 5);
    assert.deepEqual(
      pdus.map((p) => p.content.body),
      [...said.slice(-5)].reverse(),
    );
    const missingLimit = await fetch(`${hs1.server.baseUrl}/_matrix/federation/v1/backfill/${enc(roomId)}?v=${enc(v)}`, {
      headers: { Authorization: xMatrixAuthorization({ method: 'GET', uri: `/_matrix/federation/v1/backfill/${enc(roomId)}?v=${enc(v)}`, origin: 'hs2.test', destination: 'hs1.test' }, hs2.key) },
    });
    assert.equal(missingLimit.status, 400);
  });

  test('a user on hs3 joining late pages back through /messages and sees the history from before the join, once each', async () => {
    const joined = await api(hs3, carol, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs1.test`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    const seen: ClientEventShape[] = [];
    let from: string | undefined;
    for (let page = 0; page < 30; page++) {
      const r = await api(hs3, carol, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=10${from !== undefined ? `&from=${enc(from)}` : ''}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assertMatchesSpec('client-server', 'GET', '/_matrix/client/v3/rooms/{roomId}/messages', 200, r.body);
      seen.push(...(r.body.chunk as ClientEventShape[]));
      if (r.body.end === undefined) break;
      from = r.body.end as string;
    }
    const texts = seen.filter((e) => e.type === 'm.room.message').map((e) => e.content.body as string).reverse();
    assert.deepEqual(texts, said);
    const ids = seen.map((e) => e.event_id);
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
    const types = seen.map((e) => e.type);
    assert.ok(types.includes('m.room.create'), 'paged back to the creation of the room');
    assert.ok(seen.some((e) => e.type === 'm.room.topic' && e.content.topic === 'midway'));
    assert.ok(backfillRequests() > 0, 'hs3 asked a server for the history');
    // Backfilled history is not news: the current state is unchanged and sync shows no old messages as new.
    const topic = await api(hs3, carol, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`);
    assert.equal(topic.body.topic, 'midway');
  });

  test('paging again asks no server again: the history is held now', async () => {
    const asked = backfillRequests();
    const r = await api(hs3, carol, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100`);
    const texts = (r.body.chunk as ClientEventShape[]).filter((e) => e.type === 'm.room.message').map((e) => e.content.body as string).reverse();
    assert.deepEqual(texts, said);
    assert.equal(r.body.end, undefined, 'the start of the room was reached');
    assert.equal(backfillRequests(), asked);
  });

  test('matrix-js-sdk on a fourth server joins late and scrolls back to the start of the room', async () => {
    const dave = await user(hs4, 'dave');
    const joined = await api(hs4, dave, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs2.test`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    const client = createClient({ baseUrl: hs4.server.baseUrl, accessToken: dave.accessToken, userId: dave.userId, deviceId: dave.deviceId });
    try {
      await startAndWaitPrepared(client, 5);
      const room = await until('the client knows the room', async () => client.getRoom(roomId) ?? undefined);
      const events = () => room.getLiveTimeline().getEvents();
      for (let i = 0; i < 30 && !events().some((e) => e.getType() === 'm.room.create'); i++) await client.scrollback(room, 10);
      const texts = events().filter((e) => e.getType() === 'm.room.message').map((e) => e.getContent().body as string);
      assert.deepEqual(texts, said);
      assert.equal(events()[0]?.getType(), 'm.room.create');
    } finally {
      client.stopClient();
    }
  });

  test('/backfill sends a server the events it may not see redacted (history_visibility joined while it had no member)', async () => {
    const left = await api(hs3, carol, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {});
    assert.equal(left.status, 200, JSON.stringify(left.body));
    await until('hs1 sees carol leave', async () => (await membership(hs1, alice, roomId, carol.userId)) === 'leave');
    const hv = await api(hs1, alice, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.history_visibility/`, { history_visibility: 'joined' });
    assert.equal(hv.status, 200);
    const secret = await send(hs1, alice, roomId, 'while hs3 was away');
    const latest = await send(hs1, alice, roomId, 'after the secret');
    const uri = `/_matrix/federation/v1/backfill/${enc(roomId)}?v=${enc(latest)}&limit=3`;
    const as = async (s: FedServer) => {
      const header = xMatrixAuthorization({ method: 'GET', uri, origin: s.name, destination: 'hs1.test' }, s.key);
      const res = await fetch(`${hs1.server.baseUrl}${uri}`, { headers: { Authorization: header } });
      assert.equal(res.status, 200);
      return ((await res.json()) as { pdus: Array<{ type: string; content: { body?: string } }> }).pdus;
    };
    const forHs3 = await as(hs3);
    const forHs2 = await as(hs2);
    assert.deepEqual(forHs2.map((p) => p.content.body), ['after the secret', 'while hs3 was away', undefined]);
    // hs3 gets the same events, but the messages it may not see without their content.
    assert.equal(forHs3.length, 3);
    assert.deepEqual(forHs3.filter((p) => p.type === 'm.room.message').map((p) => p.content), [{}, {}]);
    assert.equal(forHs3[2]?.type, 'm.room.history_visibility');
    assert.ok(secret);
  });
});
