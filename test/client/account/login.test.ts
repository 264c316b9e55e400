import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { registerUser, TEST_USER_CONFIG } from '../../helpers/users.js';
import { C, call } from './fetch-json.js';

describe('login, logout, whoami, refresh', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ ...TEST_USER_CONFIG, rateLimits: {}, refreshableAccessTokenLifetimeMs: 60_000 });
    await registerUser(s.baseUrl, s.config, 'alice', { password: 'alice-pw' });
  });
  after(() => s.close());

  const login = (body: Record<string, unknown>) => call(s.baseUrl, 'POST', `${C}/v3/login`, { body });

  test('GET /login lists password, token and application service flows', async () => {
    const r = await call(s.baseUrl, 'GET', `${C}/v3/login`);
    assert.equal(r.status, 200);
    assertMatchesSpec('client-server', 'GET', `${C}/v3/login`, 200, r.body);
    assert.deepEqual(r.body.flows, [{ type: 'm.login.password' }, { type: 'm.login.token' }, { type: 'm.login.application_service' }]);
  });

  test('password login by localpart, full id and legacy user field; whoami answers', async () => {
    for (const ident of [{ identifier: { type: 'm.id.user', user: 'alice' } }, { identifier: { type: 'm.id.user', user: '@ALICE:localhost' } }, { user: 'alice' }]) {
      const r = await login({ type: 'm.login.password', password: 'alice-pw', ...ident });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assertMatchesSpec('client-server', 'POST', `${C}/v3/login`, 200, r.body);
      assert.equal(r.body.user_id, '@alice:localhost');
      const who = await call(s.baseUrl, 'GET', `${C}/v3/account/whoami`, { token: String(r.body.access_token) });
      assert.equal(who.status, 200);
      assertMatchesSpec('client-server', 'GET', `${C}/v3/account/whoami`, 200, who.body);
      assert.deepEqual(who.body, { user_id: '@alice:localhost', device_id: r.body.device_id, is_guest: false });
    }
  });

  test('a wrong password or unknown user is 403 M_FORBIDDEN', async () => {
    const wrong = await login({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' }, password: 'nope' });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.errcode, 'M_FORBIDDEN');
    const nobody = await login({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'ghost' }, password: 'x' });
    assert.equal(nobody.status, 403);
    const unknownType = await login({ type: 'm.login.magic' });
    assert.equal(unknownType.status, 400);
  });

  test('device_id is reused and keeps its display name', async () => {
    const a = await login({ type: 'm.login.password', user: 'alice', password: 'alice-pw', device_id: 'MYDEVICE', initial_device_display_name: 'laptop' });
    const b = await login({ type: 'm.login.password', user: 'alice', password: 'alice-pw', device_id: 'MYDEVICE', initial_device_display_name: 'other' });
    assert.equal(a.body.device_id, 'MYDEVICE');
    assert.equal(b.body.device_id, 'MYDEVICE');
    const d = await call(s.baseUrl, 'GET', `${C}/v3/devices/MYDEVICE`, { token: String(b.body.access_token) });
    assert.equal(d.body.display_name, 'laptop');
  });

  test('missing and unknown tokens: M_MISSING_TOKEN, M_UNKNOWN_TOKEN with soft_logout false', async () => {
    const missing = await call(s.baseUrl, 'GET', `${C}/v3/account/whoami`);
    assert.equal(missing.status, 401);
    assert.equal(missing.body.errcode, 'M_MISSING_TOKEN');
    const unknown = await call(s.baseUrl, 'GET', `${C}/v3/account/whoami`, { token: 'syt_bogus' });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.errcode, 'M_UNKNOWN_TOKEN');
    assert.equal(unknown.body.soft_logout, false);
  });

  test('query-string access tokens are refused by default', async () => {
    const r = await login({ type: 'm.login.password', user: 'alice', password: 'alice-pw' });
    const q = await call(s.baseUrl, 'GET', `${C}/v3/account/whoami?access_token=${String(r.body.access_token)}`);
    assert.equal(q.status, 401);
    assert.equal(q.body.errcode, 'M_MISSING_TOKEN');
  });

  test('logout revokes the token and deletes the device; logout/all revokes every token', async () => {
    const a = await login({ type: 'm.login.password', user: 'alice', password: 'alice-pw' });
    const b = await login({ type: 'm.login.password', user: 'alice', password: 'alice-pw' });
    const tokenA = String(a.body.access_token);
    const tokenB = String(b.body.access_token);
    assert.equal((await call(s.baseUrl, 'GET', `${C}/v3/account/whoami`, { token: tokenA })).status, 200);
    const out = await call(s.baseUrl, 'POST', `${C}/v3/logout`, { token: tokenA, body: {} });
    assert.equal(out.status, 200);
    assert.equal((await call(s.baseUrl, 'GET', `${C}/v3/account/whoami`, { token: tokenA })).body.errcode, 'M_UNKNOWN_TOKEN');
    const devices = await call(s.baseUrl, 'GET', `${C}/v3/devices`, { token: tokenB });
    assert.ok(!(devices.body.devices as Array<{ device_id: string }>).some((d) => d.device_id === a.body.device_id));
    const all = await call(s.baseUrl, 'POST', `${C}/v3/logout/all`, { token: tokenB, body: {} });
    assert.equal(all.status, 200);
    assert.equal((await call(s.baseUrl, 'GET', `${C}/v3/account/whoami`, { token: tokenB })).status, 401);
  });

  test('refresh rotates tokens: the old access token dies, the spent refresh token is refused', async () => {
    const r = await login({ type: 'm.login.password', user: 'alice', password: 'alice-pw', refresh_token: true });
    assert.equal(typeof r.body.refresh_token, 'string');
    assert.equal(r.body.expires_in_ms, 60_000);
    const refreshed = await call(s.baseUrl, 'POST', `${C}/v3/refresh`, { body: { refresh_token: r.body.refresh_token } });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assertMatchesSpec('client-server', 'POST', `${C}/v3/refresh`, 200, refreshed.body);
    assert.notEqual(refreshed.body.access_token, r.body.access_token);
    assert.equal((await call(s.baseUrl, 'GET', `${C}/v3/account/whoami`, { token: String(r.body.access_token) })).status, 401);
    const who = await call(s.baseUrl, 'GET', `${C}/v3/account/whoami`, { token: String(refreshed.body.access_token) });
    assert.equal(who.body.device_id, r.body.device_id);
    // The new refresh token works; the first one is spent now that its successor was used.
    const again = await call(s.baseUrl, 'POST', `${C}/v3/refresh`, { body: { refresh_token: refreshed.body.refresh_token } });
    assert.equal(again.status, 200);
    const stale = await call(s.baseUrl, 'POST', `${C}/v3/refresh`, { body: { refresh_token: r.body.refresh_token } });
    assert.equal(stale.status, 401);
    assert.equal(stale.body.errcode, 'M_UNKNOWN_TOKEN');
  });

  test('login is rate limited per address', async () => {
    const limited = await startTestServer({ ...TEST_USER_CONFIG, rateLimits: { 'login.address': { perSecond: 0.01, burstCount: 2 } } });
    try {
      const statuses: number[] = [];
      let last: Record<string, unknown> = {};
      for (let i = 0; i < 3; i++) {
        const r = await call(limited.baseUrl, 'POST', `${C}/v3/login`, { body: { type: 'm.login.password', user: 'x', password: 'y' } });
        statuses.push(r.status);
        last = r.body;
      }
      assert.deepEqual(statuses, [403, 403, 429]);
      assert.equal(last.errcode, 'M_LIMIT_EXCEEDED');
      assert.ok(typeof last.retry_after_ms === 'number' && last.retry_after_ms > 0);
    } finally {
      await limited.close();
    }
  });
});

describe('expired access tokens', () => {
  test('an expired refreshable token is M_UNKNOWN_TOKEN with soft_logout true, and logout still works', async () => {
    let now = Date.now();
    const s = await startTestServer({ ...TEST_USER_CONFIG, rateLimits: {}, refreshableAccessTokenLifetimeMs: 1 });
    try {
      await registerUser(s.baseUrl, s.config, 'bob', { password: 'bob-pw' });
      const r = await call(s.baseUrl, 'POST', `${C}/v3/login`, { body: { type: 'm.login.password', user: 'bob', password: 'bob-pw', refresh_token: true } });
      await new Promise((res) => setTimeout(res, 10));
      now = Date.now();
      assert.ok(now > 0);
      const who = await call(s.baseUrl, 'GET', `${C}/v3/account/whoami`, { token: String(r.body.access_token) });
      assert.equal(who.status, 401);
      assert.equal(who.body.errcode, 'M_UNKNOWN_TOKEN');
      assert.equal(who.body.soft_logout, true);
      const out = await call(s.baseUrl, 'POST', `${C}/v3/logout`, { token: String(r.body.access_token), body: {} });
      assert.equal(out.status, 200);
    } finally {
      await s.close();
    }
  });
});
