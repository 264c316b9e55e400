import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router } from '@koa/router';
import { pino } from 'pino';
import type { Config } from '../../src/config/types.js';
import { parseSigningKeyFile, verifyJsonSignature, type SigningKey } from '../../src/crypto/index.js';
import { getOrigin, requireServerAuth } from '../../src/federation/inbound/auth.js';
import { createFederationService, FederationRequestError, type FederationService, xMatrixAuthorization } from '../../src/federation/outbound/index.js';
import { createHttpApp } from '../../src/http/app.js';
import type { HttpDeps } from '../../src/http/deps.js';
import { readJsonObject } from '../../src/http/json-body.js';
import type { Services } from '../../src/http/services.js';
import { openStorage, type KnexStorage } from '../../src/storage/knex/index.js';
import { serveApp, testConfig } from '../helpers/http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { assertMatchesSpec } from '../helpers/spec-schemas.js';

// Real servers on loopback, each with its own name, database and key: hs1 publishes keys, hs3 is a
// notary, hs2 fetches directly, hs2n only through hs3. A receiver app with requireServerAuth checks
// signed requests coming from hs1's identity.

const hostPort = (s: TestServer) => s.baseUrl.replace(/^http:\/\//, '');
const keyOf = (s: TestServer): SigningKey => {
  const k = parseSigningKeyFile(readFileSync(s.config.signingKeyPath, 'utf8'))[0];
  if (!k) throw new Error('no key');
  return k;
};

type KeyDoc = Record<string, unknown> & { server_name: string; verify_keys: Record<string, { key: string }> };

describe('federation between real servers', () => {
  let hs1: TestServer;
  let hs2: TestServer;
  let hs3: TestServer;
  let hs2n: TestServer;
  let hs1Key: SigningKey;
  let hs3Key: SigningKey;
  // The receiver: requireServerAuth in front of two test routes.
  let recvDir: string;
  let recvStorage: KnexStorage;
  let recvFederation: FederationService;
  let recv: { baseUrl: string; close(): Promise<void> };
  // A federation service acting as hs1 (its key, its name) to drive our own outbound client.
  let asHs1Storage: KnexStorage;
  let asHs1: FederationService;

  before(async () => {
    hs1 = await startTestServer({ serverName: 'hs1.test' });
    hs3 = await startTestServer({ serverName: 'hs3.test', federationTestOverrides: { 'hs1.test': hostPort(hs1) } });
    hs1Key = keyOf(hs1);
    hs3Key = keyOf(hs3);
    hs2 = await startTestServer({ serverName: 'hs2.test', federationTestOverrides: { 'hs1.test': hostPort(hs1) } });
    hs2n = await startTestServer({
      serverName: 'hs2n.test',
      // hs1 is unreachable from here (nothing listens on port 1); only the notary knows its keys.
      federationTestOverrides: { 'hs1.test': '127.0.0.1:1', 'hs3.test': hostPort(hs3) },
      trustedKeyServers: [{ serverName: 'hs3.test', verifyKeys: { [hs3Key.keyId]: hs3Key.publicKeyBase64 } }],
    });

    recvDir = await mkdtemp(join(tmpdir(), 'hearth-fed-'));
    const logger = pino({ level: 'silent' });
    const recvConfig: Config = testConfig({
      serverName: 'recv.test',
      federationTestOverrides: { 'hs1.test': hostPort(hs1), 'hs3.test': hostPort(hs3) },
      federationDomainWhitelist: ['hs1.test', 'hs2.test'],
    });
    recvStorage = await openStorage({ engine: 'sqlite', path: join(recvDir, 'recv.db') }, logger);
    await recvStorage.migrate();
    const recvKey = parseSigningKeyFile(`ed25519 recv ${Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '')}\n`);
    recvFederation = createFederationService({ config: recvConfig, logger, storage: recvStorage, signingKeys: recvKey, now: Date.now });
    const deps: HttpDeps = {
      config: recvConfig,
      logger,
      signingKeys: recvKey,
      services: { federation: recvFederation } as unknown as Services,
    };
    const router = new Router({ prefix: '/_matrix/federation' });
    router.get('/v1/test/whoami', requireServerAuth(deps), (ctx) => {
      ctx.body = { origin: getOrigin(ctx), state_origin: (ctx.state as { origin?: string }).origin };
    });
    router.put('/v1/test/echo/:id', requireServerAuth(deps), async (ctx) => {
      ctx.body = { origin: getOrigin(ctx), got: await readJsonObject(ctx) };
    });
    recv = await serveApp(createHttpApp(deps, ['federation'], { extraRouters: [router] }));

    asHs1Storage = await openStorage({ engine: 'sqlite', path: join(recvDir, 'as-hs1.db') }, logger);
    await asHs1Storage.migrate();
    asHs1 = createFederationService({
      config: testConfig({ serverName: 'hs1.test', federationTestOverrides: { 'recv.test': recv.baseUrl.replace(/^http:\/\//, '') } }),
      logger,
      storage: asHs1Storage,
      signingKeys: [hs1Key],
      now: Date.now,
    });
  });

  after(async () => {
    await asHs1?.close();
    await recv?.close();
    await recvFederation?.close();
    await recvStorage?.close();
    await asHs1Storage?.close();
    await Promise.all([hs1, hs2, hs3, hs2n].map((s) => s?.close()));
    if (recvDir) await rm(recvDir, { recursive: true, force: true });
  });

  test('GET /_matrix/federation/v1/version answers without authentication and matches the spec', async () => {
    const res = await fetch(`${hs1.baseUrl}/_matrix/federation/v1/version`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { server: { name: string; version: string } };
    assertMatchesSpec('server-server', 'GET', '/_matrix/federation/v1/version', 200, body);
    assert.equal(body.server.name, 'Hearth');
    assert.match(body.server.version, /^\d+\.\d+\.\d+/);
  });

  test("hs2 fetches hs1's keys directly and, as a notary, serves them signed by both", async () => {
    const res = await fetch(`${hs2.baseUrl}/_matrix/key/v2/query/hs1.test`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { server_keys: KeyDoc[] };
    assertMatchesSpec('server-server', 'GET', '/_matrix/key/v2/query/{serverName}', 200, body);
    assert.equal(body.server_keys.length, 1);
    const doc = body.server_keys[0] as KeyDoc;
    assert.equal(doc.server_name, 'hs1.test');
    assert.equal(doc.verify_keys[hs1Key.keyId]?.key, hs1Key.publicKeyBase64);
    assert.ok(verifyJsonSignature(doc, 'hs1.test', hs1Key.keyId, hs1Key.publicKeyBase64));
    const hs2Key = keyOf(hs2);
    assert.ok(verifyJsonSignature(doc, 'hs2.test', hs2Key.keyId, hs2Key.publicKeyBase64));
  });

  test("a keyring that cannot reach hs1 gets hs1's keys through the hs3 notary, checking both signatures", async () => {
    const make = async (name: string, notaryKey: string) => {
      const storage = await openStorage({ engine: 'sqlite', path: join(recvDir, `${name}.db`) }, pino({ level: 'silent' }));
      await storage.migrate();
      const service = createFederationService({
        config: testConfig({
          serverName: `${name}.test`,
          // Nothing listens on port 1: hs1 is unreachable from here, only the notary knows its keys.
          federationTestOverrides: { 'hs1.test': '127.0.0.1:1', 'hs3.test': hostPort(hs3) },
          trustedKeyServers: [{ serverName: 'hs3.test', verifyKeys: { [hs3Key.keyId]: notaryKey } }],
        }),
        logger: pino({ level: 'silent' }),
        storage,
        signingKeys: parseSigningKeyFile(`ed25519 k ${Buffer.alloc(32, name.length).toString('base64').replace(/=+$/, '')}\n`),
        now: Date.now,
      });
      return { storage, service, close: async () => { await service.close(); await storage.close(); } };
    };
    const good = await make('hs4', hs3Key.publicKeyBase64);
    const misconfigured = await make('hs5x', hs1Key.publicKeyBase64);
    try {
      const key = await good.service.keyring.getVerifyKey('hs1.test', hs1Key.keyId, { minimumValidUntilTs: Date.now() });
      assert.equal(key?.publicKey, hs1Key.publicKeyBase64);
      assert.equal((await good.storage.serverKeys.getKey('hs1.test', hs1Key.keyId))?.fetchedFrom, 'hs3.test');
      const [stored] = await good.storage.serverKeys.getKeyResponses('hs1.test');
      assert.ok(stored && verifyJsonSignature(stored.json, 'hs3.test', hs3Key.keyId, hs3Key.publicKeyBase64));
      // With the wrong key configured for the notary, its answer is not believed.
      assert.equal(await misconfigured.service.keyring.getVerifyKey('hs1.test', hs1Key.keyId), undefined);
    } finally {
      await good.close();
      await misconfigured.close();
    }
  });

  test('POST /_matrix/key/v2/query answers for several servers, our own included, and matches the spec', async () => {
    const res = await fetch(`${hs2.baseUrl}/_matrix/key/v2/query`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ server_keys: { 'hs1.test': { [hs1Key.keyId]: { minimum_valid_until_ts: Date.now() } }, 'hs2.test': {}, 'gone.invalid': {} } }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { server_keys: KeyDoc[] };
    assertMatchesSpec('server-server', 'POST', '/_matrix/key/v2/query', 200, body);
    assert.deepEqual(body.server_keys.map((d) => d.server_name).sort(), ['hs1.test', 'hs2.test']);
    const hs2Key = keyOf(hs2);
    for (const doc of body.server_keys) assert.ok(verifyJsonSignature(doc, 'hs2.test', hs2Key.keyId, hs2Key.publicKeyBase64));
  });

  test('a notary query for a server nobody can reach returns an empty list', async () => {
    const res = await fetch(`${hs2n.baseUrl}/_matrix/key/v2/query/nowhere.invalid`);
    assert.deepEqual(await res.json(), { server_keys: [] });
    const bad = await fetch(`${hs2n.baseUrl}/_matrix/key/v2/query`, { method: 'POST', body: '{"server_keys": 5}' });
    assert.equal(bad.status, 400);
  });

  test("our client's signed requests are accepted: GET with a query, PUT with a body", async () => {
    const who = await asHs1.client.getJson('recv.test', '/_matrix/federation/v1/test/whoami', { query: { q: 'a b/c' } });
    assert.deepEqual(who, { origin: 'hs1.test', state_origin: 'hs1.test' });
    const echo = await asHs1.client.putJson('recv.test', '/_matrix/federation/v1/test/echo/t%2F1', { pdus: [], n: 1, s: 'ü' });
    assert.deepEqual(echo, { origin: 'hs1.test', got: { pdus: [], n: 1, s: 'ü' } });
  });

  const raw = async (path: string, auth: string | null, init: { method?: string; body?: string } = {}) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (auth !== null) headers.Authorization = auth;
    const res = await fetch(`${recv.baseUrl}${path}`, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: init.body } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const sign = (uri: string, opts: { method?: string; destination?: string; origin?: string; key?: SigningKey; content?: unknown } = {}) =>
    xMatrixAuthorization(
      { method: opts.method ?? 'GET', uri, origin: opts.origin ?? 'hs1.test', destination: opts.destination ?? 'recv.test', ...(opts.content !== undefined ? { content: opts.content } : {}) },
      opts.key ?? hs1Key,
    );

  test('a request signed without the optional destination parameter is accepted (old servers)', async () => {
    const header = sign('/_matrix/federation/v1/test/whoami').replace(/,destination="[^"]*"/, '');
    assert.deepEqual((await raw('/_matrix/federation/v1/test/whoami', header)).body.origin, 'hs1.test');
  });

  test('forged requests are rejected with 401 M_UNAUTHORIZED', async () => {
    const path = '/_matrix/federation/v1/test/whoami';
    const forgedKey = { ...hs1Key, ...parseSigningKeyFile(`ed25519 x ${Buffer.alloc(32, 9).toString('base64').replace(/=+$/, '')}\n`)[0], keyId: hs1Key.keyId } as SigningKey;
    const cases: Array<[string, string | null, { method?: string; body?: string }?]> = [
      ['no Authorization header', null],
      ['another scheme', 'Bearer abc'],
      ['a signature over another path', sign('/_matrix/federation/v1/test/other')],
      ['a signature without the query string', sign(path), undefined],
      ['a wrong destination', sign(path, { destination: 'other.test' })],
      ['an unknown key id', sign(path).replace(`key="${hs1Key.keyId}"`, 'key="ed25519:nope"')],
      ['a key hs1 does not have', sign(path, { key: forgedKey })],
      ['another method', sign(path, { method: 'POST' })],
    ];
    for (const [what, header, init] of cases) {
      const target = what === 'a signature without the query string' ? `${path}?extra=1` : path;
      const res = await raw(target, header, init);
      assert.equal(res.status, 401, what);
      assert.equal(res.body.errcode, 'M_UNAUTHORIZED', what);
    }
    const body = { n: 1 };
    const tampered = await raw('/_matrix/federation/v1/test/echo/1', sign('/_matrix/federation/v1/test/echo/1', { method: 'PUT', content: body }), {
      method: 'PUT',
      body: JSON.stringify({ n: 2 }),
    });
    assert.deepEqual([tampered.status, tampered.body.errcode], [401, 'M_UNAUTHORIZED']);
    const honest = await raw('/_matrix/federation/v1/test/echo/1', sign('/_matrix/federation/v1/test/echo/1', { method: 'PUT', content: body }), {
      method: 'PUT',
      body: JSON.stringify(body),
    });
    assert.equal(honest.status, 200);
  });

  test('an origin outside federation_domain_whitelist is refused with 403 even with a valid signature', async () => {
    const res = await raw('/_matrix/federation/v1/test/whoami', sign('/_matrix/federation/v1/test/whoami', { origin: 'hs3.test', key: hs3Key }));
    assert.deepEqual([res.status, res.body.errcode], [403, 'M_FORBIDDEN']);
  });

  test('our client refuses to send to a destination that resolves to nothing reachable', async () => {
    await assert.rejects(asHs1.client.getJson('unknown.invalid:1', '/_matrix/federation/v1/version', { retries: 0 }), (e: unknown) => e instanceof FederationRequestError);
  });
});
