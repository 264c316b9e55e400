import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { createHttpTransport, createIpPolicy, FederationRequestError, type HttpTransport } from '../../../src/federation/outbound/index.js';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, bodies, enc, membership, send, startFederation, until, user, type FedServer } from './harness.js';
import { createTestCa, type TestCa } from './tls-certs.js';

// Federation over real TLS: hs1 and hs2 serve federation only on TLS listeners with certificates for their
// names from a test CA, and check each other's certificates (federation_verify_certificates on, the CA in
// federation_custom_ca_list; SNI is the server name). A user of hs2 joins a room of hs1 and messages flow
// both ways. The transport trusts the test CA only through that setting, and only for the name on a certificate.

describe('federation over TLS listeners with verified certificates', () => {
  let ca: TestCa;
  let hs1: FedServer;
  let hs2: FedServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  const overrides: Record<string, string> = {};

  before(async () => {
    ca = createTestCa();
    [hs1, hs2] = (await startFederation(['hs1.test', 'hs2.test'], overrides, { tls: ca })) as [FedServer, FedServer];
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
  });
  after(async () => {
    await hs2?.server.close();
    await hs1?.server.close();
    if (ca) rmSync(ca.dir, { recursive: true, force: true });
  });

  test('the federation listener speaks TLS only', async () => {
    assert.match(overrides['hs1.test'] ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
    const plain = (overrides['hs1.test'] ?? '').replace('https://', 'http://');
    await assert.rejects(fetch(`${plain}/_matrix/key/v2/server`));
  });

  test('bob@hs2 joins a room of hs1 over TLS and messages flow both ways', async () => {
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', room_alias_name: 'secure', room_version: '12' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const roomId = created.body.room_id as string;
    const joined = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc('#secure:hs1.test')}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    await until('hs1 sees bob join', async () => (await membership(hs1, alice, roomId, bob.userId)) === 'join');
    await send(hs1, alice, roomId, 'over tls from alice');
    await send(hs2, bob, roomId, 'over tls from bob');
    await until('bob sees both', async () => {
      const seen = await bodies(hs2, bob, roomId);
      return seen.includes('over tls from alice') && seen.includes('over tls from bob');
    });
    await until('alice sees both', async () => {
      const seen = await bodies(hs1, alice, roomId);
      return seen.includes('over tls from alice') && seen.includes('over tls from bob');
    });
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
