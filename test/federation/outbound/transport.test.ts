import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { DEFAULT_IP_RANGE_BLOCKLIST } from '../../../src/config/defaults.js';
import { generateSigningKey } from '../../../src/crypto/index.js';
import {
  createFederationClient,
  createHttpTransport,
  createIpPolicy,
  createServerResolver,
  FederationRequestError,
  type TransportRequest,
} from '../../../src/federation/outbound/index.js';

let server: Server;
let port: number;
let hits = 0;

before(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/big') {
      res.end(Buffer.alloc(10_000, 'a'));
    } else if (req.url === '/slow') {
      setTimeout(() => res.end('{}'), 2_000).unref();
    } else if (req.url?.startsWith('/_matrix/flaky')) {
      res.statusCode = hits % 2 === 1 ? 502 : 200;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(res.statusCode === 200 ? { ok: true } : { errcode: 'M_UNKNOWN', error: 'bad gateway' }));
    } else if (req.url?.startsWith('/_matrix/forbidden')) {
      res.statusCode = 403;
      res.end(JSON.stringify({ errcode: 'M_FORBIDDEN', error: 'no' }));
    } else {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ host: req.headers.host, url: req.url }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const blocking = createIpPolicy(DEFAULT_IP_RANGE_BLOCKLIST);
const open = createIpPolicy([]);

function req(overrides: Partial<TransportRequest> = {}): TransportRequest {
  return {
    destination: 'remote.test',
    scheme: 'http',
    host: '127.0.0.1',
    port,
    hostHeader: 'remote.test',
    tlsServerName: null,
    method: 'GET',
    path: '/x',
    timeoutMs: 5_000,
    maxResponseBytes: 1024 * 1024,
    ipPolicy: open,
    verifyCertificates: true,
    ...overrides,
  };
}

const isKind = (kind: string) => (e: unknown) => e instanceof FederationRequestError && e.kind === kind;

test('the blocklist stops a request to 127.0.0.1 before any connection; allowing loopback lets it through', async () => {
  const transport = createHttpTransport();
  try {
    const before = hits;
    await assert.rejects(transport.request(req({ ipPolicy: blocking })), isKind('blocked'));
    assert.equal(hits, before);
    const res = await transport.request(req());
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body.toString()), { host: 'remote.test', url: '/x' });
  } finally {
    transport.close();
  }
});

test('a DNS name that resolves to a blocked address is refused after resolution', async () => {
  const transport = createHttpTransport({ lookup: async () => [{ address: '127.0.0.1', family: 4 }] });
  try {
    const before = hits;
    await assert.rejects(transport.request(req({ host: 'innocent.example', ipPolicy: blocking })), isKind('blocked'));
    assert.equal(hits, before);
    // The same name is fine when the policy allows loopback (the check is on the address, not the name).
    assert.equal((await transport.request(req({ host: 'innocent.example' }))).status, 200);
  } finally {
    transport.close();
  }
});

test('among several addresses only allowed ones are used', async () => {
  const transport = createHttpTransport({
    lookup: async () => [
      { address: '10.0.0.1', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ],
  });
  try {
    const policy = createIpPolicy(['10.0.0.0/8']);
    assert.equal((await transport.request(req({ host: 'multi.example', ipPolicy: policy }))).status, 200);
  } finally {
    transport.close();
  }
});

test('responses over the size limit and requests over the time limit fail', async () => {
  const transport = createHttpTransport();
  try {
    await assert.rejects(transport.request(req({ path: '/big', maxResponseBytes: 1000 })), isKind('too-large'));
    await assert.rejects(transport.request(req({ path: '/slow', timeoutMs: 100 })), isKind('timeout'));
    await assert.rejects(transport.request(req({ port: 1 })), isKind('network'));
  } finally {
    transport.close();
  }
});

function client(opts: { whitelist?: string[] | null; overrides?: Record<string, string>; policy?: ReturnType<typeof createIpPolicy> } = {}) {
  const transport = createHttpTransport();
  const logger = pino({ level: 'silent' });
  const ipPolicy = opts.policy ?? open;
  const resolver = createServerResolver({
    transport,
    srv: { resolveSrv: async () => [] },
    ipPolicy,
    verifyCertificates: true,
    overrides: opts.overrides ?? { 'remote.test': `127.0.0.1:${port}` },
    logger,
    now: Date.now,
  });
  const c = createFederationClient({
    serverName: 'me.test',
    signingKey: generateSigningKey('k'),
    transport,
    resolver,
    ipPolicy,
    verifyCertificates: true,
    domainWhitelist: opts.whitelist ?? null,
    logger,
    sleep: async () => undefined,
  });
  return { c, close: () => transport.close() };
}

test('federation_domain_whitelist stops requests to other servers', async () => {
  const { c, close } = client({ whitelist: ['other.test'] });
  try {
    await assert.rejects(c.getJson('remote.test', '/_matrix/x'), isKind('not-whitelisted'));
    assert.equal(c.isDestinationAllowed('other.test'), true);
  } finally {
    close();
  }
});

test('an overridden destination is reachable on loopback even with the default blocklist; others are not', async () => {
  const { c, close } = client({ policy: blocking, overrides: { 'remote.test': `127.0.0.1:${port}` } });
  try {
    const res = await c.getJson('remote.test', '/_matrix/federation/v1/version', { query: { a: 'b c', n: [1, 2] } });
    assert.deepEqual(res, { host: 'remote.test', url: '/_matrix/federation/v1/version?a=b+c&n=1&n=2' });
    await assert.rejects(c.getJson(`127.0.0.1:${port}`, '/_matrix/federation/v1/version'), isKind('blocked'));
  } finally {
    close();
  }
});

test('GET retries a transient failure; PUT does not; a 4xx is not retried and carries the errcode', async () => {
  const { c, close } = client();
  try {
    hits = 0; // next answer: 502, then 200
    assert.deepEqual(await c.getJson('remote.test', '/_matrix/flaky'), { ok: true });
    hits = 0;
    await assert.rejects(c.putJson('remote.test', '/_matrix/flaky', {}), (e: unknown) => e instanceof FederationRequestError && e.status === 502);
    const before = hits;
    await assert.rejects(c.getJson('remote.test', '/_matrix/forbidden'), (e: unknown) => e instanceof FederationRequestError && e.errcode === 'M_FORBIDDEN' && !e.transient);
    assert.equal(hits, before + 1);
  } finally {
    close();
  }
});
