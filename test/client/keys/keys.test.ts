import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { assertMatchesSpec, assertRequestMatchesSpec } from '../../helpers/spec-schemas.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';
import { makeDevice, signedOneTimeKey } from '../../users/e2e/fixtures.js';
import { C, call } from './http.js';

describe('/keys/upload, /keys/query, /keys/claim over HTTP', () => {
  let s: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  before(async () => {
    s = await startTestServer({ ...TEST_USER_CONFIG, rateLimits: {} });
    alice = await registerUser(s.baseUrl, s.config, 'alice');
    bob = await registerUser(s.baseUrl, s.config, 'bob');
  });
  after(() => s.close());

  test('a device uploads its keys; others query them and claim one-time keys, then the fallback key', async () => {
    const dev = makeDevice(alice.userId, alice.deviceId);
    const uploadBody = {
      device_keys: dev.deviceKeys,
      one_time_keys: {
        'signed_curve25519:AAAAAQ': signedOneTimeKey(dev, 'otk1'),
        'signed_curve25519:AAAAAg': signedOneTimeKey(dev, 'otk2'),
      },
      fallback_keys: { 'signed_curve25519:AAAAFB': signedOneTimeKey(dev, 'fb', true) },
    };
    assertRequestMatchesSpec('client-server', 'POST', `${C}/v3/keys/upload`, uploadBody);
    const up = await call(s.baseUrl, 'POST', `${C}/v3/keys/upload`, { token: alice.accessToken, body: uploadBody });
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assertMatchesSpec('client-server', 'POST', `${C}/v3/keys/upload`, 200, up.body);
    assert.deepEqual(up.body, { one_time_key_counts: { signed_curve25519: 2 } });

    const q = await call(s.baseUrl, 'POST', `${C}/v3/keys/query`, { token: bob.accessToken, body: { device_keys: { [alice.userId]: [] } } });
    assert.equal(q.status, 200, JSON.stringify(q.body));
    assertMatchesSpec('client-server', 'POST', `${C}/v3/keys/query`, 200, q.body);
    const aliceDevices = (q.body.device_keys as Record<string, Record<string, Record<string, unknown>>>)[alice.userId];
    assert.deepEqual(aliceDevices?.[alice.deviceId]?.keys, (dev.deviceKeys as Record<string, unknown>).keys);
    assert.deepEqual(q.body.failures, {});

    const claim = () =>
      call(s.baseUrl, 'POST', `${C}/v3/keys/claim`, {
        token: bob.accessToken,
        body: { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } },
      });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await claim();
      assert.equal(c.status, 200);
      assertMatchesSpec('client-server', 'POST', `${C}/v3/keys/claim`, 200, c.body);
      const got = (c.body.one_time_keys as Record<string, Record<string, Record<string, unknown>>>)[alice.userId]?.[alice.deviceId];
      ids.push(...Object.keys(got ?? {}));
    }
    assert.deepEqual(ids, ['signed_curve25519:AAAAAQ', 'signed_curve25519:AAAAAg', 'signed_curve25519:AAAAFB']);
  });

  test('bad uploads: no token, someone else\'s device, a changed identity key, not JSON, wrong types', async () => {
    const dev = makeDevice(alice.userId, alice.deviceId);
    const noToken = await call(s.baseUrl, 'POST', `${C}/v3/keys/upload`, { body: {} });
    assert.equal(noToken.status, 401);
    assert.equal(noToken.body.errcode, 'M_MISSING_TOKEN');
    const foreign = await call(s.baseUrl, 'POST', `${C}/v3/keys/upload`, { token: bob.accessToken, body: { device_keys: dev.deviceKeys } });
    assert.equal(foreign.status, 400);
    assert.equal(foreign.body.errcode, 'M_INVALID_PARAM');
    // Alice's device already has keys from the previous test (or gets them now); a different identity is refused.
    await call(s.baseUrl, 'POST', `${C}/v3/keys/upload`, { token: alice.accessToken, body: { device_keys: dev.deviceKeys } });
    const other = makeDevice(alice.userId, alice.deviceId);
    const changed = await call(s.baseUrl, 'POST', `${C}/v3/keys/upload`, { token: alice.accessToken, body: { device_keys: other.deviceKeys } });
    assert.equal(changed.status, 400);
    const notJson = await call(s.baseUrl, 'POST', `${C}/v3/keys/upload`, { token: alice.accessToken, raw: '{nope' });
    assert.equal(notJson.body.errcode, 'M_NOT_JSON');
    const badType = await call(s.baseUrl, 'POST', `${C}/v3/keys/upload`, { token: alice.accessToken, body: { one_time_keys: { 'a:b': 5 } } });
    assert.equal(badType.status, 400);
    const noDeviceKeys = await call(s.baseUrl, 'POST', `${C}/v3/keys/query`, { token: alice.accessToken, body: {} });
    assert.equal(noDeviceKeys.status, 400);
    assert.equal(noDeviceKeys.body.errcode, 'M_MISSING_PARAM');
  });

  test('remote users are reported in failures', async () => {
    const q = await call(s.baseUrl, 'POST', `${C}/v3/keys/query`, {
      token: alice.accessToken,
      body: { device_keys: { '@x:remote.invalid': [] } },
    });
    assert.equal(q.status, 200);
    assertMatchesSpec('client-server', 'POST', `${C}/v3/keys/query`, 200, q.body);
    assert.ok((q.body.failures as Record<string, unknown>)['remote.invalid']);
  });

  test('the r0 prefix serves the same endpoints', async () => {
    const r = await call(s.baseUrl, 'POST', `${C}/r0/keys/upload`, { token: bob.accessToken, body: {} });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { one_time_key_counts: { signed_curve25519: 0 } });
  });
});
