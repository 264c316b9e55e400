import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { createHttpTransport, createIpPolicy, FederationRequestError, type HttpTransport } from '../../../src/federation/outbound/index.js';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, bodies, enc, membership, send, startFederation, until, user, type FedServer } from './harness.js';
import { createTestCa, type TestCa } from './tls-certs.js';

// Federation over real TLS: hs1, hs2 and hs3 serve federation only on TLS listeners with certificates for their
// names from a test CA, and check each other's certificates (federation_verify_certificates on, the CA in
// federation_custom_ca_list; SNI is the server name). Users of hs2 and hs3 join a room of hs1 and messages
// flow every way. The transport trusts the test CA only through that setting, and only for the name on a certificate.

describe('federation over TLS listeners with verified certificates', () => {
  let ca: TestCa;
  let hs1: FedServer;
  let hs2: FedServer;
  let hs3: FedServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  const overrides: Record<string, string> = {};

  before(async () => {
    ca = createTestCa();
    [hs1, hs2, hs3] = (await startFederation(['hs1.test', 'hs2.test', 'hs3.test'], overrides, { tls: ca })) as [FedServer, FedServer, FedServer];
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
    carol = await user(hs3, 'carol');
  });
  after(async () => {
    await hs3?.server.close();
    await hs2?.server.close();
    await hs1?.server.close();
    if (ca) rmSync(ca.dir, { recursive: true, force: true });
  });

  test('the federation listener speaks TLS only', async () => {
    assert.match(overrides['hs1.test'] ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
    const plain = (overrides['hs1.test'] ?? '').replace('https://', 'http://');
    await assert.rejects(fetch(`${plain}/_matrix/key/v2/server`));
  });

  test('bob@hs2 joins a room of hs1 by alias, carol@hs3 through hs2, over TLS; messages flow every way', async () => {
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', room_alias_name: 'secure', room_version: '12' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const roomId = created.body.room_id as string;
    const joined = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc('#secure:hs1.test')}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    await until('hs1 sees bob join', async () => (await membership(hs1, alice, roomId, bob.userId)) === 'join');
    const viaHs2 = await api(hs3, carol, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs2.test`, {});
    assert.equal(viaHs2.status, 200, JSON.stringify(viaHs2.body));
    await until('hs1 sees carol join', async () => (await membership(hs1, alice, roomId, carol.userId)) === 'join');
    await send(hs1, alice, roomId, 'over tls from alice');
    await send(hs2, bob, roomId, 'over tls from bob');
    await send(hs3, carol, roomId, 'over tls from carol');
    const all = ['over tls from alice', 'over tls from bob', 'over tls from carol'];
    for (const [s, u] of [[hs1, alice], [hs2, bob], [hs3, carol]] as const) {
      await until(`${s.name} sees all three`, async () => {
        const seen = await bodies(s, u, roomId);
        return all.every((b) => seen.includes(b));
      });
    }
  });

  test('the trusted CA is what makes the peer acceptable, and only for the name its certificate carries', async () => {
    const port = Number((overrides['hs1.test'] ?? '').split(':').at(-1));
    const request = (transport: HttpTransport, name: string) =>
      transport.request({
        destination: name,
        scheme: 'https',
        host: '127.0.0.1',
        port,
        hostHeader: name,
        tlsServerName: name,
        method: 'GET',
        path: '/_matrix/key/v2/server',
        timeoutMs: 5_000,
        maxResponseBytes: 65_536,
        ipPolicy: createIpPolicy([]),
        verifyCertificates: true,
      });
    const trusting = createHttpTransport({ ca: [readFileSync(ca.caPath)] });
    const systemOnly = createHttpTransport();
    try {
      assert.equal((await request(trusting, 'hs1.test')).status, 200);
      // Another name at the same address: the certificate does not match it.
      await assert.rejects(request(trusting, 'impostor.test'), (e: unknown) => e instanceof FederationRequestError && e.kind === 'network');
      // Without the test CA the certificate is not trusted at all.
      await assert.rejects(request(systemOnly, 'hs1.test'), (e: unknown) => e instanceof FederationRequestError && e.kind === 'network');
    } finally {
      trusting.close();
      systemOnly.close();
    }
  });
});
