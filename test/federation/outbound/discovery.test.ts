import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SrvRecord } from 'node:dns';
import { pino } from 'pino';
import {
  cacheLifetimeMs,
  createIpPolicy,
  createServerResolver,
  FederationRequestError,
  type HttpTransport,
  type TransportRequest,
  type TransportResponse,
} from '../../../src/federation/outbound/index.js';

const HOUR = 3_600_000;

interface Fake {
  transport: HttpTransport;
  wellKnownCalls: string[];
  srvCalls: string[];
  clock: { now: number };
}

/** well-known answers by host: a response, or an Error to throw (connection failure). */
function setup(
  wellKnown: Record<string, Partial<TransportResponse> & { json?: unknown } | Error>,
  srv: Record<string, SrvRecord[]> = {},
  overrides: Record<string, string> = {},
  maxCachedServers?: number,
) {
  const fake: Fake = { transport: undefined as unknown as HttpTransport, wellKnownCalls: [], srvCalls: [], clock: { now: 1_000_000 } };
  fake.transport = {
    async request(req: TransportRequest) {
      fake.wellKnownCalls.push(`${req.host}:${req.port}${req.path}`);
      assert.equal(req.scheme, 'https');
      const answer = wellKnown[req.host];
      if (answer === undefined) throw new FederationRequestError('network', req.destination, 'connection refused');
      if (answer instanceof Error) throw answer;
      return {
        status: answer.status ?? 200,
        headers: answer.headers ?? {},
        body: answer.body ?? Buffer.from(JSON.stringify(answer.json ?? {})),
      };
    },
    close() {},
  };
  const resolver = createServerResolver({
    transport: fake.transport,
    srv: {
      async resolveSrv(name) {
        fake.srvCalls.push(name);
        return srv[name] ?? [];
      },
    },
    ipPolicy: createIpPolicy([]),
    verifyCertificates: true,
    overrides,
    logger: pino({ level: 'silent' }),
    now: () => fake.clock.now,
    ...(maxCachedServers !== undefined ? { maxCachedServers } : {}),
  });
  return { resolver, fake };
}

const srvRecord = (name: string, port: number, priority = 10, weight = 5): SrvRecord => ({ name, port, priority, weight });

test('IP literals are used as they are, with port 8448 by default and no SNI', async () => {
  const { resolver, fake } = setup({});
  assert.deepEqual(await resolver.resolve('1.2.3.4'), {
    serverName: '1.2.3.4', scheme: 'https', targets: [{ host: '1.2.3.4', port: 8448 }], hostHeader: '1.2.3.4', tlsServerName: null, override: false,
  });
  const v6 = await resolver.resolve('[2001:db8::1]:9000');
  assert.deepEqual(v6.targets, [{ host: '2001:db8::1', port: 9000 }]);
  assert.equal(v6.hostHeader, '[2001:db8::1]:9000');
  assert.equal(v6.tlsServerName, null);
  assert.deepEqual(fake.wellKnownCalls, []);
  assert.deepEqual(fake.srvCalls, []);
});

test('a host with an explicit port skips .well-known and SRV', async () => {
  const { resolver, fake } = setup({});
  const r = await resolver.resolve('matrix.example.org:8008');
  assert.deepEqual(r.targets, [{ host: 'matrix.example.org', port: 8008 }]);
  assert.equal(r.hostHeader, 'matrix.example.org:8008');
  assert.equal(r.tlsServerName, 'matrix.example.org');
  assert.deepEqual([fake.wellKnownCalls, fake.srvCalls], [[], []]);
});

test('.well-known delegation with a port: connect there, Host and certificate of the delegated name', async () => {
  const { resolver, fake } = setup({ 'example.org': { json: { 'm.server': 'matrix.example.net:443' } } });
  const r = await resolver.resolve('example.org');
  assert.deepEqual(fake.wellKnownCalls, ['example.org:443/.well-known/matrix/server']);
  assert.deepEqual(r.targets, [{ host: 'matrix.example.net', port: 443 }]);
  assert.equal(r.hostHeader, 'matrix.example.net:443');
  assert.equal(r.tlsServerName, 'matrix.example.net');
  assert.equal(r.serverName, 'example.org');
});

test('.well-known delegation without a port looks up SRV on the delegated name, _matrix-fed before _matrix', async () => {
  const { resolver, fake } = setup(
    { 'example.org': { json: { 'm.server': 'delegated.example.net' } } },
    {
      '_matrix._tcp.delegated.example.net': [srvRecord('legacy.example.net', 1)],
      '_matrix-fed._tcp.delegated.example.net': [srvRecord('b.example.net.', 8449, 20), srvRecord('a.example.net.', 8448, 10)],
    },
  );
  const r = await resolver.resolve('example.org');
  assert.deepEqual(r.targets, [{ host: 'a.example.net', port: 8448 }, { host: 'b.example.net', port: 8449 }]);
  assert.equal(r.hostHeader, 'delegated.example.net');
  assert.equal(r.tlsServerName, 'delegated.example.net');
  assert.deepEqual(fake.srvCalls, ['_matrix-fed._tcp.delegated.example.net']);
});

test('the deprecated _matrix._tcp SRV is used when _matrix-fed has none; 8448 when neither exists', async () => {
  const { resolver, fake } = setup({}, { '_matrix._tcp.old.example': [srvRecord('srv.old.example', 8000)] });
  const r = await resolver.resolve('old.example');
  assert.deepEqual(r.targets, [{ host: 'srv.old.example', port: 8000 }]);
  assert.equal(r.hostHeader, 'old.example');
  assert.equal(r.tlsServerName, 'old.example');
  assert.deepEqual(fake.srvCalls, ['_matrix-fed._tcp.old.example', '_matrix._tcp.old.example']);
  const plain = await resolver.resolve('plain.example');
  assert.deepEqual(plain.targets, [{ host: 'plain.example', port: 8448 }]);
});

test('a delegated IP literal is used with its port, no SNI, Host of the IP', async () => {
  const { resolver } = setup({ 'example.org': { json: { 'm.server': '[2001:db8::5]:8443' } } });
  const r = await resolver.resolve('example.org');
  assert.deepEqual(r.targets, [{ host: '2001:db8::5', port: 8443 }]);
  assert.equal(r.hostHeader, '[2001:db8::5]:8443');
  assert.equal(r.tlsServerName, null);
});

test('invalid .well-known answers fall through to SRV and are cached for an hour', async () => {
  for (const answer of [
    { status: 404, json: { errcode: 'M_NOT_FOUND' } },
    { body: Buffer.from('not json') },
    { json: { 'm.server': 'https://bad.example/' } },
    { json: { other: 1 } },
  ]) {
    const { resolver, fake } = setup({ 'example.org': answer }, { '_matrix-fed._tcp.example.org': [srvRecord('fed.example.org', 8448)] });
    const r = await resolver.resolve('example.org');
    assert.deepEqual(r.targets, [{ host: 'fed.example.org', port: 8448 }], JSON.stringify(answer));
    assert.equal(r.hostHeader, 'example.org');
    // The resolution itself is re-done after 10 minutes, but the well-known answer is believed for an hour.
    fake.clock.now += 11 * 60_000;
    await resolver.resolve('example.org');
    assert.equal(fake.wellKnownCalls.length, 1);
    fake.clock.now += HOUR;
    await resolver.resolve('example.org');
    assert.equal(fake.wellKnownCalls.length, 2);
  }
});

test('.well-known is cached as Cache-Control says, within [5 min, 48 h], 24 h by default', async () => {
  assert.equal(cacheLifetimeMs(undefined), 24 * HOUR);
  assert.equal(cacheLifetimeMs('public, max-age=7200'), 2 * HOUR);
  assert.equal(cacheLifetimeMs('max-age=1'), 5 * 60_000);
  assert.equal(cacheLifetimeMs('max-age=99999999'), 48 * HOUR);
  const { resolver, fake } = setup({ 'example.org': { json: { 'm.server': 'm.example.org:443' }, headers: { 'cache-control': 'max-age=7200' } } });
  await resolver.resolve('example.org');
  fake.clock.now += HOUR;
  resolver.invalidate('example.org');
  await resolver.resolve('example.org');
  assert.equal(fake.wellKnownCalls.length, 1);
  fake.clock.now += HOUR + 1;
  resolver.invalidate('example.org');
  await resolver.resolve('example.org');
  assert.equal(fake.wellKnownCalls.length, 2);
});

test('transient .well-known failures back off exponentially', async () => {
  const { resolver, fake } = setup({ 'down.example': new FederationRequestError('timeout', 'down.example', 'timed out') });
  const asked = async () => {
    resolver.invalidate('down.example');
    await resolver.resolve('down.example');
    return fake.wellKnownCalls.length;
  };
  assert.equal(await asked(), 1);
  fake.clock.now += 2 * 60_000 + 1; // first retry after 2 minutes
  assert.equal(await asked(), 2);
  fake.clock.now += 2 * 60_000 + 1; // the second failure waits 4 minutes
  assert.equal(await asked(), 2);
  fake.clock.now += 2 * 60_000;
  assert.equal(await asked(), 3);
});

test('redirects are followed, but loops and downgrades are not', async () => {
  const { resolver, fake } = setup({
    'example.org': { status: 301, headers: { location: 'https://www.example.org/.well-known/matrix/server' } },
    'www.example.org': { json: { 'm.server': 'm.example.org:8448' } },
    'loop.example': { status: 302, headers: { location: 'https://loop.example/.well-known/matrix/server' } },
    'down.example': { status: 302, headers: { location: 'http://down.example/x' } },
  });
  assert.deepEqual((await resolver.resolve('example.org')).targets, [{ host: 'm.example.org', port: 8448 }]);
  assert.deepEqual(fake.wellKnownCalls.slice(-1), ['www.example.org:443/.well-known/matrix/server']);
  assert.deepEqual((await resolver.resolve('loop.example')).targets, [{ host: 'loop.example', port: 8448 }]);
  assert.deepEqual((await resolver.resolve('down.example')).targets, [{ host: 'down.example', port: 8448 }]);
});

test('test overrides map a server name to an address without any lookup; plain HTTP unless https:// is given', async () => {
  const { resolver, fake } = setup({}, {}, { 'hs1.test': '127.0.0.1:8001', 'hs2.test': 'https://127.0.0.1:8002' });
  const r1 = await resolver.resolve('hs1.test');
  assert.deepEqual(r1, {
    serverName: 'hs1.test', scheme: 'http', targets: [{ host: '127.0.0.1', port: 8001 }], hostHeader: 'hs1.test', tlsServerName: 'hs1.test', override: true,
  });
  assert.equal((await resolver.resolve('hs2.test')).scheme, 'https');
  assert.deepEqual([fake.wellKnownCalls, fake.srvCalls], [[], []]);
});

test('concurrent resolutions of one name share one lookup', async () => {
  const { resolver, fake } = setup({ 'example.org': { json: { 'm.server': 'm.example.org' } } });
  await Promise.all([resolver.resolve('example.org'), resolver.resolve('example.org'), resolver.resolve('example.org')]);
  assert.equal(fake.wellKnownCalls.length, 1);
  assert.equal(fake.srvCalls.length, 2);
});

test('the caches remember a bounded number of server names: past the bound the oldest is looked up again', async () => {
  const names = ['a.example', 'b.example', 'c.example', 'd.example'];
  const { resolver, fake } = setup(Object.fromEntries(names.map((n) => [n, { json: { 'm.server': `m.${n}:443` } }])), {}, {}, 3);
  for (const n of names) await resolver.resolve(n);
  assert.equal(fake.wellKnownCalls.length, 4);
  // d, c and b are still cached; a (the oldest) was dropped when d came.
  for (const n of ['d.example', 'c.example', 'b.example']) await resolver.resolve(n);
  assert.equal(fake.wellKnownCalls.length, 4);
  await resolver.resolve('a.example');
  assert.equal(fake.wellKnownCalls.length, 5);
  assert.equal(fake.wellKnownCalls.at(-1), 'a.example:443/.well-known/matrix/server');
});

test('an invalid server name cannot be resolved', async () => {
  const { resolver } = setup({});
  await assert.rejects(resolver.resolve('bad name!'), (e: unknown) => e instanceof FederationRequestError && e.kind === 'unresolvable');
});

test('the config accepts federation_test_overrides as host:port or with an http(s) scheme, and nothing else', async () => {
  const { createConfigValidator } = await import('../../../src/config/validate.js');
  const validator = createConfigValidator();
  const base = { server_name: 'a.test' };
  for (const ok of ['127.0.0.1:8448', 'https://127.0.0.1:8448', 'http://hs1.test:8008', '[::1]:8448']) {
    assert.doesNotThrow(() => validator.validate({ ...base, federation_test_overrides: { 'hs1.test': ok } }), ok);
  }
  for (const bad of ['hs1.test', 'ftp://x:1', 'https://x:1/path']) {
    assert.throws(() => validator.validate({ ...base, federation_test_overrides: { 'hs1.test': bad } }), bad);
  }
});
