import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, bodies, enc, send, startFederation, startPersistent, until, user, type FedServer } from './harness.js';

// Faster joins (MSC3706/MSC3902) between real servers: hs1 holds a public room of MEMBERS users; hs2 joins
// with partial state (send_join with omit_members), which returns before hs2 knows the members. hs2's user
// sends at once and reads hs1's messages; /state shows only the few members the resident kept. hs1's /state
// is held back (a proxy in front of hs1 answers 503), hs2 is restarted mid-resync, and after the restart the
// resync resumes by itself and /joined_members lists every member.

const MEMBERS = 60;

/** A plain HTTP proxy to `target`, refusing GET /state/ while `blockState` is set. */
async function startProxy(target: () => string): Promise<{ server: Server; address: string; blockState: boolean }> {
  const state = { blockState: true } as { server: Server; address: string; blockState: boolean };
  const server = createServer((req, res) => {
    if (state.blockState && (req.url ?? '').startsWith('/_matrix/federation/v1/state/')) {
      res.writeHead(503, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errcode: 'M_UNKNOWN', error: 'held back by the test' }));
      return;
    }
    const [host, port] = target().split(':');
    const upstream = request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.server = server;
  state.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

describe('federation: joining a large room with partial state', () => {
  const overrides: Record<string, string> = {};
  let hs1: FedServer;
  let hs2: FedServer;
  let stopHs2: () => Promise<void>;
  let dir: string;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let alice: RegisteredUser;
  let member: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-fed-partial-'));
    [hs1] = (await startFederation(['hs1.test'], overrides)) as [FedServer];
    const hs1Address = overrides['hs1.test'] as string;
    proxy = await startProxy(() => hs1Address);
    ({ fed: hs2, stop: stopHs2 } = await startPersistent('hs2.test', dir, overrides));
    // hs2 reaches hs1 only through the proxy; hs1 reaches hs2 directly.
    overrides['hs1.test'] = proxy.address;
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: '12', name: 'large' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    roomId = created.body.room_id as string;
    for (let i = 0; i < MEMBERS - 1; i++) {
      const u = await user(hs1, `m${i}`);
      if (i === 0) member = u;
      const j = await api(hs1, u, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, {});
      assert.equal(j.status, 200, JSON.stringify(j.body));
    }
  });
  after(async () => {
    await stopHs2?.().catch(() => {});
    await hs1?.server.close();
    proxy?.server.closeAllConnections();
    proxy?.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the join returns with partial state; the joiner sends and reads at once', async () => {
    const joined = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs1.test`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    // The resident kept members out of the state (only the joiner's and, the room being named, no heroes).
    const st = await api(hs2, bob, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`);
    assert.equal(st.status, 200, JSON.stringify(st.body));
    const members = (st.body as unknown as Array<{ type: string }>).filter((e) => e.type === 'm.room.member');
    assert.ok(members.length < 5, `partial state holds ${members.length} member events`);
    const sync = await api(hs2, bob, 'GET', '/_matrix/client/v3/sync?timeout=0');
    assert.ok(roomId in ((sync.body.rooms as { join?: Record<string, unknown> }).join ?? {}), 'sync shows the room');

    // A member event of hs1's user is not in the partial state: its read waits for the resync (held back
    // here) instead of answering 404; hs2's own user's is there and answers at once.
    const own = await api(hs2, bob, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(bob.userId)}`);
    assert.equal(own.body.membership, 'join');
    const abort = new AbortController();
    const remote = fetch(`${hs2.server.baseUrl}/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(member.userId)}`, {
      headers: { Authorization: `Bearer ${bob.accessToken}` },
      signal: abort.signal,
    }).then((r) => r.status, () => 'aborted');
    const early = await Promise.race([remote, new Promise((r) => setTimeout(() => r('waiting'), 500))]);
    abort.abort();
    assert.equal(early, 'waiting');

    await send(hs2, bob, roomId, 'hello from a partial join');
    await until('hs1 sees the first message', async () => (await bodies(hs1, alice, roomId)).includes('hello from a partial join'));
    // A member hs2 has never heard of: its message is authorised by its own auth events while partial.
    await send(hs1, member, roomId, 'hello from an unknown member');
    await until('hs2 sees the member message', async () => (await bodies(hs2, bob, roomId)).includes('hello from an unknown member'));
  });

  test('after a restart mid-resync the resync completes and /joined_members lists every member', async () => {
    await stopHs2();
    proxy.blockState = false;
    ({ fed: hs2, stop: stopHs2 } = await startPersistent('hs2.test', dir, overrides));
    const r = await api(hs2, bob, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const joined = Object.keys(r.body.joined as Record<string, unknown>);
    assert.equal(joined.length, MEMBERS + 1);
    assert.ok(joined.includes(member.userId) && joined.includes(alice.userId) && joined.includes(bob.userId));
    const members = await api(hs2, bob, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/members?membership=join`);
    assert.equal((members.body.chunk as unknown[]).length, MEMBERS + 1);
    const remote = await api(hs2, bob, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(member.userId)}`);
    assert.equal(remote.body.membership, 'join');
    // Events after the resync are judged on the full state.
    await send(hs1, member, roomId, 'after the resync');
    await until('hs2 sees a message after the resync', async () => (await bodies(hs2, bob, roomId)).includes('after the resync'));
  });
});
