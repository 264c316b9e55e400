import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RegisteredUser } from '../../helpers/users.js';
import { buildPdu, roomHeads, type RoomView } from './forge.js';
import { api, bodies, enc, send, startFederation, until, user, type FedServer } from './harness.js';

// A resident server that lies in its send_join answer and in /state: hs1 is reached through a proxy that
// adds events to the state it returns. Each added event is properly signed by hs1 (or carries a signature
// that does not verify) but is not allowed by the room's auth rules against its own auth events: a name set
// by a powerless member, a join made by someone else for a user who never joined, a topic by that ghost user
// resting on the forged join. A joiner with full state (hs3) and one with partial state that resyncs the
// full state in the background (hs2) must both leave every one of them out: not stored, never state.

const VERSION = '12';

interface Forged {
  name: Record<string, unknown>;
  ghostJoin: Record<string, unknown>;
  ghostTopic: Record<string, unknown>;
  badSignature: Record<string, unknown>;
}

/** A proxy to hs1 that appends `extra()` to the state of send_join answers and /state answers. */
async function startLyingProxy(target: () => string, extra: () => unknown[]): Promise<{ server: Server; address: string; rewritten: number }> {
  const out = { rewritten: 0 } as { server: Server; address: string; rewritten: number };
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    const field = url.startsWith('/_matrix/federation/v2/send_join/') ? 'state' : url.startsWith('/_matrix/federation/v1/state/') ? 'pdus' : null;
    const [host, port] = target().split(':');
    const headers = { ...req.headers };
    if (field !== null) delete headers['accept-encoding'];
    const upstream = request({ host, port: Number(port), method: req.method, path: url, headers }, (up) => {
      if (field === null || up.statusCode !== 200) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        body[field] = [...((body[field] as unknown[] | undefined) ?? []), ...extra()];
        out.rewritten++;
        const text = JSON.stringify(body);
        const { 'content-length': _length, 'transfer-encoding': _te, ...rest } = up.headers;
        res.writeHead(200, { ...rest, 'content-length': Buffer.byteLength(text) });
        res.end(text);
      });
    });
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  out.server = server;
  out.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return out;
}

describe('federation: a joiner checks every event of the state a resident sends', () => {
  const overrides: Record<string, string> = {};
  let hs1: FedServer;
  let hs2: FedServer;
  let hs3: FedServer;
  let proxy: Awaited<ReturnType<typeof startLyingProxy>>;
  let alice: RegisteredUser;
  let mallory: RegisteredUser;
  let roomId: string;
  let forged: Forged;
  const forgedIds: string[] = [];
  const ghost = '@ghost:hs1.test';

  before(async () => {
    [hs1, hs2] = (await startFederation(['hs1.test', 'hs2.test'], overrides)) as [FedServer, FedServer];
    [hs3] = (await startFederation(['hs3.test'], overrides, { config: { partialStateJoins: false } })) as [FedServer];
    alice = await user(hs1, 'alice');
    mallory = await user(hs1, 'mallory');
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: VERSION, topic: 'the real topic' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    roomId = created.body.room_id as string;
    assert.equal((await api(hs1, mallory, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, {})).status, 200);

    const view: RoomView = { resident: hs1, viewer: alice, roomId, version: VERSION };
    // Signed by hs1, so only the auth rules can refuse them.
    const name = await buildPdu(view, hs1, mallory.userId, 'm.room.name', { name: 'forged name' }, { stateKey: '' });
    const ghostJoin = await buildPdu(view, hs1, mallory.userId, 'm.room.member', { membership: 'join' }, { stateKey: ghost });
    const heads = await roomHeads(view);
    const ghostTopic = await buildPdu(view, hs1, ghost, 'm.room.topic', { topic: 'forged topic' }, {
      stateKey: '',
      authEvents: [heads.stateId('m.room.power_levels') as string, ghostJoin.eventId],
    });
    // Claims hs1 but carries hs2's signature.
    const badSignature = await buildPdu(view, { ...hs2, name: 'hs1.test' }, alice.userId, 'm.room.topic', { topic: 'unsigned topic' }, { stateKey: '' });
    forged = { name: name.pdu, ghostJoin: ghostJoin.pdu, ghostTopic: ghostTopic.pdu, badSignature: badSignature.pdu };
    for (const e of [name, ghostJoin, ghostTopic, badSignature]) forgedIds.push(e.eventId);

    const hs1Address = overrides['hs1.test'] as string;
    proxy = await startLyingProxy(() => hs1Address, () => Object.values(forged));
    // The joiners reach hs1 only through the proxy; hs1 reaches them directly.
    overrides['hs1.test'] = proxy.address;
  });
  after(async () => {
    await hs3?.server.close();
    await hs2?.server.close();
    await hs1?.server.close();
    proxy?.server.closeAllConnections();
    proxy?.server.close();
  });

  async function assertLeftOut(s: FedServer, u: RegisteredUser, members: readonly string[]): Promise<void> {
    for (const id of forgedIds) {
      const r = await api(s, u, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(id)}`);
      assert.equal(r.status, 404, `${s.name} holds forged event ${id}`);
    }
    const name = await api(s, u, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.name/`);
    assert.equal(name.status, 404, JSON.stringify(name.body));
    const topic = await api(s, u, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`);
    assert.equal(topic.body.topic, 'the real topic');
    const ghostMember = await api(s, u, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(ghost)}`);
    assert.equal(ghostMember.status, 404, JSON.stringify(ghostMember.body));
    const joined = await api(s, u, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`);
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    assert.deepEqual(Object.keys(joined.body.joined as Record<string, unknown>).sort(), [...members].sort());
  }

  test('a full-state join stores the valid state only, and the room works', async () => {
    const carol = await user(hs3, 'carol');
    const joined = await api(hs3, carol, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs1.test`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    assert.ok(proxy.rewritten >= 1, 'the proxy added the forged events to the send_join answer');
    await assertLeftOut(hs3, carol, [alice.userId, mallory.userId, carol.userId]);
    await send(hs3, carol, roomId, 'hello from a full join');
    await until('hs1 sees the message', async () => (await bodies(hs1, alice, roomId)).includes('hello from a full join'));
  });

  test('a partial-state join and its background resync leave the forged events out', async () => {
    const bob = await user(hs2, 'bob');
    const before = proxy.rewritten;
    const joined = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs1.test`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    // /joined_members waits for the resync, whose /state answer the proxy rewrote too.
    await assertLeftOut(hs2, bob, [alice.userId, mallory.userId, '@carol:hs3.test', bob.userId]);
    assert.ok(proxy.rewritten >= before + 2, `send_join and /state were both rewritten (${proxy.rewritten - before})`);
    await send(hs2, bob, roomId, 'hello from a partial join');
    await until('hs1 sees the message', async () => (await bodies(hs1, alice, roomId)).includes('hello from a partial join'));
  });
});
