import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signJson } from '../../../src/crypto/index.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';
import { makeCrossSigning, makeDevice } from '../../users/e2e/fixtures.js';
import { C, call } from './http.js';

describe('cross-signing over HTTP', () => {
  let s: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  before(async () => {
    s = await startTestServer({ ...TEST_USER_CONFIG, rateLimits: {} });
    alice = await registerUser(s.baseUrl, s.config, 'alice');
    bob = await registerUser(s.baseUrl, s.config, 'bob');
  });
  after(() => s.close());

  test('first upload without UIA, identical retry without UIA, replacement only after UIA', async () => {
    const cs = makeCrossSigning(alice.userId);
    const path = `${C}/v3/keys/device_signing/upload`;
    const first = await call(s.baseUrl, 'POST', path, { token: alice.accessToken, body: cs.body });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assertMatchesSpec('client-server', 'POST', path, 200, first.body);
    assert.equal((await call(s.baseUrl, 'POST', path, { token: alice.accessToken, body: cs.body })).status, 200);

    const other = makeCrossSigning(alice.userId);
    const challenge = await call(s.baseUrl, 'POST', path, { token: alice.accessToken, body: other.body });
    assert.equal(challenge.status, 401, JSON.stringify(challenge.body));
    const session = String(challenge.body.session);
    assert.ok(Array.isArray(challenge.body.flows));
    const wrong = await call(s.baseUrl, 'POST', path, {
      token: alice.accessToken,
      body: { ...other.body, auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: 'nope', session } },
    });
    assert.equal(wrong.status, 401);
    const ok = await call(s.baseUrl, 'POST', path, {
      token: alice.accessToken,
      body: { ...other.body, auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: alice.password, session } },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const q = await call(s.baseUrl, 'POST', `${C}/v3/keys/query`, { token: bob.accessToken, body: { device_keys: { [alice.userId]: [] } } });
    assertMatchesSpec('client-server', 'POST', `${C}/v3/keys/query`, 200, q.body);
    assert.deepEqual((q.body.master_keys as Record<string, unknown>)[alice.userId], other.body.master_key);
    assert.deepEqual(q.body.user_signing_keys, {});
  });

  test('a self-signing key not signed by the master key is M_INVALID_SIGNATURE', async () => {
    const carol = await registerUser(s.baseUrl, s.config, 'carol');
    const cs = makeCrossSigning(carol.userId);
    const foreign = makeCrossSigning(carol.userId);
    const r = await call(s.baseUrl, 'POST', `${C}/v3/keys/device_signing/upload`, {
      token: carol.accessToken,
      body: { master_key: cs.body.master_key, self_signing_key: foreign.body.self_signing_key },
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.errcode, 'M_INVALID_SIGNATURE');
  });

  test('signatures upload: valid ones are stored and served, bad ones come back as failures', async () => {
    const dave = await registerUser(s.baseUrl, s.config, 'dave');
    const dev = makeDevice(dave.userId, dave.deviceId);
    await call(s.baseUrl, 'POST', `${C}/v3/keys/upload`, { token: dave.accessToken, body: { device_keys: dev.deviceKeys } });
    const cs = makeCrossSigning(dave.userId);
    await call(s.baseUrl, 'POST', `${C}/v3/keys/device_signing/upload`, { token: dave.accessToken, body: cs.body });
    const path = `${C}/v3/keys/signatures/upload`;
    const r = await call(s.baseUrl, 'POST', path, {
      token: dave.accessToken,
      body: {
        [dave.userId]: {
          [dave.deviceId]: signJson(dev.deviceKeys, dave.userId, cs.selfSigning),
          [cs.master.publicKeyBase64]: signJson(cs.body.master_key, dave.userId, dev.key),
          NOPE: {},
        },
      },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assertMatchesSpec('client-server', 'POST', path, 200, r.body);
    const failures = r.body.failures as Record<string, Record<string, { errcode: string }>>;
    assert.deepEqual(Object.keys(failures[dave.userId] ?? {}), ['NOPE']);
    const q = await call(s.baseUrl, 'POST', `${C}/v3/keys/query`, { token: bob.accessToken, body: { device_keys: { [dave.userId]: [] } } });
    const device = (q.body.device_keys as Record<string, Record<string, { signatures: Record<string, Record<string, string>> }>>)[dave.userId]?.[dave.deviceId];
    assert.ok(device?.signatures[dave.userId]?.[cs.selfSigning.keyId]);
  });
});
