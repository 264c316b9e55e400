import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createHttpTransport, createIpPolicy, FederationRequestError, type TransportRequest } from '../../../src/federation/outbound/index.js';

// TLS to a peer: SNI carries the expected server name, and the certificate is verified unless
// federation_verify_certificates is off. The fixture is a self-signed certificate for hs1.test
// (test/federation/fixtures, valid for 100 years).

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));

test('TLS sends SNI of the server name and verifies the certificate unless told not to', async () => {
  const seen: Array<string | false> = [];
  const server = createServer({ cert: fixture('hs1.test.crt'), key: fixture('hs1.test.key') }, (req, res) => {
    seen.push((req.socket as TLSSocket).servername ?? false);
    res.setHeader('Content-Type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const transport = createHttpTransport();
  const req = (overrides: Partial<TransportRequest>): TransportRequest => ({
    destination: 'hs1.test',
    scheme: 'https',
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    hostHeader: 'hs1.test',
    tlsServerName: 'hs1.test',
    method: 'GET',
    path: '/_matrix/key/v2/server',
    timeoutMs: 5_000,
    maxResponseBytes: 65_536,
    ipPolicy: createIpPolicy([]),
    verifyCertificates: true,
    ...overrides,
  });
  try {
    // Self-signed: refused when verifying.
    await assert.rejects(transport.request(req({})), (e: unknown) => e instanceof FederationRequestError && e.kind === 'network');
    const res = await transport.request(req({ verifyCertificates: false }));
    assert.equal(res.status, 200);
    assert.equal(seen.at(-1), 'hs1.test');
    // An IP-literal server name gets no SNI.
    await transport.request(req({ verifyCertificates: false, tlsServerName: null, hostHeader: '127.0.0.1' }));
    assert.equal(seen.at(-1), false);
  } finally {
    transport.close();
    server.closeAllConnections();
    server.close();
  }
});
