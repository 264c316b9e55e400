import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, bodies, enc, membership, send, startFederation, until, user, type FedServer } from './harness.js';
import { buildPdu, fedRequest, roomHeads, sendTransaction, type RoomView } from './forge.js';

// Soft failure deferred by a partial-state join: mallory was banned from hs1's room before hs2 joined it. hs2
// joins with partial state (no member events), and while its resync is held back it receives a message from
// mallory built on hs2's latest event and authorised by her old join. Without the members hs2 cannot tell she
// is banned, so the message is accepted and shown. Once the full state arrives, the message is checked again
// against the complete current state and soft-failed: no longer served, not a prev event of hs2's next event.
// A member's message from the same period stays.

async function stateBlockingProxy(target: string): Promise<{ server: Server; address: string; block: boolean }> {
  const out = { block: true } as { server: Server; address: string; block: boolean };
  out.server = createServer((req, res) => {
    if (out.block && (req.url ?? '').startsWith('/_matrix/federation/v1/state/')) {
      res.writeHead(503, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errcode: 'M_UNKNOWN', error: 'held back by the test' }));
      return;
    }
    const [host, port] = target.split(':');
    const up = request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => out.server.listen(0, '127.0.0.1', resolve));
  out.address = `127.0.0.1:${(out.server.address() as AddressInfo).port}`;
  return out;
}

describe('federation: events accepted with partial state are soft-fail checked once the full state arrives', () => {
  const overrides: Record<string, string> = {};
  let hs1: FedServer;
  let hs2: FedServer;
  let proxy: Awaited<ReturnType<typeof stateBlockingProxy>>;
  let alice: RegisteredUser;
  let mallory: RegisteredUser;
  let member: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  let sneaky: string;

  before(async () => {
    [hs1, hs2] = (await startFederation(['hs1.test', 'hs2.test'], overrides)) as [FedServer, FedServer];
    proxy = await stateBlockingProxy(overrides['hs1.test'] as string);
    overrides['hs1.test'] = proxy.address;
    alice = await user(hs1, 'alice');
    mallory = await user(hs1, 'mallory');
    member = await user(hs1, 'member');
    bob = await user(hs2, 'bob');
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: '12', name: 'partial' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    roomId = created.body.room_id as string;
    for (const u of [mallory, member]) assert.equal((await api(hs1, u, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, {})).status, 200);
    const malloryJoin = await joinEventId(hs1, alice, roomId, mallory.userId);
    const ban = await api(hs1, alice, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/ban`, { user_id: mallory.userId });
    assert.equal(ban.status, 200, JSON.stringify(ban.body));

    const joined = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs1.test`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    // Partial: hs2 knows neither mallory's join nor her ban.
    assert.equal(await membership(hs2, bob, roomId, mallory.userId), undefined);

    const view: RoomView = { resident: hs2, viewer: bob, roomId, version: '12' };
    const pl = (await roomHeads(view)).stateId('m.room.power_levels') as string;
    const pdu = await buildPdu(view, hs1, mallory.userId, 'm.room.message', { msgtype: 'm.text', body: 'mallory sneaks in' }, {
      authEvents: [pl, malloryJoin],
    });
    sneaky = pdu.eventId;
    const res = await sendTransaction(hs1, hs2, [pdu.pdu]);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.pdus, { [sneaky]: {} });
    await send(hs1, member, roomId, 'a member talks meanwhile');
    await until('hs2 shows both messages while partial', async () => {
      const seen = await bodies(hs2, bob, roomId);
      return seen.includes('mallory sneaks in') && seen.includes('a member talks meanwhile');
    });
  });
  after(async () => {
    await hs2?.server.close();
    await hs1?.server.close();
    proxy?.server.closeAllConnections();
    proxy?.server.close();
  });

  test('after the resync the banned sender\'s message is soft-failed; the member\'s message stays', async () => {
    proxy.block = false;
    await until('hs2 learns the ban', async () => (await membership(hs2, bob, roomId, mallory.userId)) === 'ban', 30000);
    const seen = await bodies(hs2, bob, roomId);
    assert.ok(!seen.includes('mallory sneaks in'), JSON.stringify(seen));
    assert.ok(seen.includes('a member talks meanwhile'), JSON.stringify(seen));
    const ev = await api(hs2, bob, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(sneaky)}`);
    assert.equal(ev.status, 404);

    // hs2's next event does not build on it.
    const next = await send(hs2, bob, roomId, 'bob after the resync');
    await until('hs1 has bob\'s message', async () => (await bodies(hs1, alice, roomId)).includes('bob after the resync'));
    const fetched = await fedRequest(hs1, hs2, 'GET', `/_matrix/federation/v1/event/${enc(next)}`);
    assert.equal(fetched.status, 200, JSON.stringify(fetched.body));
    const pdu = (fetched.body.pdus as Array<{ prev_events: unknown[] }>)[0];
    const prevs = (pdu?.prev_events ?? []).map((p) => (Array.isArray(p) ? (p[0] as string) : (p as string)));
    assert.ok(prevs.length > 0 && !prevs.includes(sneaky), JSON.stringify(prevs));
  });
});

async function joinEventId(s: FedServer, u: RegisteredUser, roomId: string, userId: string): Promise<string> {
  const r = await api(s, u, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
  const chunk = r.body.chunk as Array<{ type: string; state_key?: string; event_id: string; content: { membership?: string } }>;
  const found = chunk.find((e) => e.type === 'm.room.member' && e.state_key === userId && e.content.membership === 'join');
  if (found === undefined) throw new Error('no join event');
  return found.event_id;
}
