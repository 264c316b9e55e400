import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { registerUser, TEST_USER_CONFIG } from '../../helpers/users.js';
import { C, call } from './fetch-json.js';

describe('POST /register with registration enabled', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ ...TEST_USER_CONFIG, enableRegistration: true, rateLimits: {} });
  });
  after(() => s.close());

  test('first request returns the UIA challenge with the dummy flow and no errcode', async () => {
    const r = await call(s.baseUrl, 'POST', `${C}/v3/register`, { body: { username: 'uiauser', password: 'secret-pw' } });
    assert.equal(r.status, 401);
    assertMatchesSpec('client-server', 'POST', `${C}/v3/register`, 401, r.body);
    assert.deepEqual(r.body.flows, [{ stages: ['m.login.dummy'] }]);
    assert.equal(typeof r.body.session, 'string');
    assert.equal(r.body.errcode, undefined);
  });

  test('completing m.login.dummy registers, logs in, and the token works', async () => {
    const first = await call(s.baseUrl, 'POST', `${C}/v3/register`, { body: { username: 'Bob', password: 'secret-pw' } });
    const r = await call(s.baseUrl, 'POST', `${C}/v3/register`, {
      body: { username: 'Bob', password: 'secret-pw', initial_device_display_name: 'phone', auth: { type: 'm.login.dummy', session: first.body.session } },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assertMatchesSpec('client-server', 'POST', `${C}/v3/register`, 200, r.body);
    assert.equal(r.body.user_id, '@bob:localhost', 'usernames are lower-cased');
    const who = await call(s.baseUrl, 'GET', `${C}/v3/account/whoami`, { token: String(r.body.access_token) });
    assert.equal(who.body.user_id, '@bob:localhost');
    assert.equal(who.body.device_id, r.body.device_id);
    const dev = await call(s.baseUrl, 'GET', `${C}/v3/devices/${String(r.body.device_id)}`, { token: String(r.body.access_token) });
    assert.equal(dev.body.display_name, 'phone');
    const login = await call(s.baseUrl, 'POST', `${C}/v3/login`, {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'bob' }, password: 'secret-pw' },
    });
    assert.equal(login.status, 200, JSON.stringify(login.body));
  });

  test('retrying a finished session returns the same account instead of M_USER_IN_USE', async () => {
    const first = await call(s.baseUrl, 'POST', `${C}/v3/register`, { body: { username: 'retry', password: 'pw' } });
    const auth = { type: 'm.login.dummy', session: first.body.session };
    const a = await call(s.baseUrl, 'POST', `${C}/v3/register`, { body: { username: 'retry', password: 'pw', auth } });
    const b = await call(s.baseUrl, 'POST', `${C}/v3/register`, { body: { username: 'retry', password: 'pw', auth } });
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.equal(a.body.user_id, b.body.user_id);
  });

  test('inhibit_login returns no access token', async () => {
    const r = await call(s.baseUrl, 'POST', `${C}/v3/register`, {
      body: { username: 'quiet', password: 'pw', inhibit_login: true, auth: { type: 'm.login.dummy' } },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.user_id, '@quiet:localhost');
    assert.equal(r.body.access_token, undefined);
  });

  test('a taken username is M_USER_IN_USE before UIA, invalid ones M_INVALID_USERNAME', async () => {
    await registerUser(s.baseUrl, s.config, 'taken');
    const r = await call(s.baseUrl, 'POST', `${C}/v3/register`, { body: { username: 'taken', password: 'pw' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.errcode, 'M_USER_IN_USE');
    for (const bad of ['with space', 'ünïcode', '12345', '_under']) {
      const x = await call(s.baseUrl, 'POST', `${C}/v3/register`, { body: { username: bad, password: 'pw' } });
      assert.equal(x.status, 400, bad);
      assert.equal(x.body.errcode, 'M_INVALID_USERNAME', bad);
    }
  });

  test('GET /register/available', async () => {
    const free = await call(s.baseUrl, 'GET', `${C}/v3/register/available?username=freename`);
    assert.equal(free.status, 200);
    assertMatchesSpec('client-server', 'GET', `${C}/v3/register/available`, 200, free.body);
    assert.equal(free.body.available, true);
    await registerUser(s.baseUrl, s.config, 'usedname');
    const used = await call(s.baseUrl, 'GET', `${C}/v3/register/available?username=usedname`);
    assert.equal(used.status, 400);
    assert.equal(used.body.errcode, 'M_USER_IN_USE');
  });

  test('username-less registration gets a numeric id; guests are refused by default', async () => {
    const r = await call(s.baseUrl, 'POST', `${C}/v3/register`, { body: { password: 'pw', auth: { type: 'm.login.dummy' } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(String(r.body.user_id), /^@[0-9]+:localhost$/);
    const g = await call(s.baseUrl, 'POST', `${C}/v3/register?kind=guest`, { body: {} });
    assert.equal(g.status, 403);
    assert.equal(g.body.errcode, 'M_GUEST_ACCESS_FORBIDDEN');
  });

  test('an unknown UIA session is refused', async () => {
    const r = await call(s.baseUrl, 'POST', `${C}/v3/register`, { body: { username: 'x1', password: 'pw', auth: { type: 'm.login.dummy', session: 'nope' } } });
    assert.equal(r.status, 400);
  });
});

describe('POST /register: disabled, guests, rate limit', () => {
  test('registration is off by default: 403 M_FORBIDDEN', async () => {
    const s = await startTestServer({ ...TEST_USER_CONFIG });
    try {
      const r = await call(s.baseUrl, 'POST', `${C}/v3/register`, { body: { username: 'nobody', password: 'pw' } });
      assert.equal(r.status, 403);
      assert.equal(r.body.errcode, 'M_FORBIDDEN');
      assert.equal(r.body.error, 'Registration has been disabled');
    } finally {
      await s.close();
    }
  });

  test('guests register with a numeric id when allowed and are refused on non-guest endpoints', async () => {
    const s = await startTestServer({ ...TEST_USER_CONFIG, allowGuestAccess: true, rateLimits: {} });
    try {
      const g = await call(s.baseUrl, 'POST', `${C}/v3/register?kind=guest`, { body: {} });
      assert.equal(g.status, 200, JSON.stringify(g.body));
      assert.match(String(g.body.user_id), /^@[0-9]+:localhost$/);
      const who = await call(s.baseUrl, 'GET', `${C}/v3/account/whoami`, { token: String(g.body.access_token) });
      assert.equal(who.body.is_guest, true);
      const devs = await call(s.baseUrl, 'GET', `${C}/v3/devices`, { token: String(g.body.access_token) });
      assert.equal(devs.status, 403);
      assert.equal(devs.body.errcode, 'M_GUEST_ACCESS_FORBIDDEN');
    } finally {
      await s.close();
    }
  });

  test('registration is rate limited with M_LIMIT_EXCEEDED and retry_after_ms, counting only created accounts', async () => {
    const s = await startTestServer({
      ...TEST_USER_CONFIG,
      enableRegistration: true,
      rateLimits: { registration: { perSecond: 0.1, burstCount: 2 } },
    });
    try {
      const codes: number[] = [];
      // Two complete user-interactive registrations (4 requests) fit a burst of 2: round trips do not count.
      for (let i = 0; i < 2; i++) {
        const first = await call(s.baseUrl, 'POST', `${C}/v3/register`, { body: { username: `rl${i}`, password: 'pw' } });
        codes.push(first.status);
        const done = await call(s.baseUrl, 'POST', `${C}/v3/register`, {
          body: { username: `rl${i}`, password: 'pw', auth: { type: 'm.login.dummy', session: first.body.session } },
        });
        codes.push(done.status);
      }
      const third = await call(s.baseUrl, 'POST', `${C}/v3/register`, { body: { username: 'rl2', password: 'pw' } });
      codes.push(third.status);
      assert.deepEqual(codes, [401, 200, 401, 200, 429]);
      assert.equal(third.body.errcode, 'M_LIMIT_EXCEEDED');
      assert.equal(typeof third.body.retry_after_ms, 'number');
    } finally {
      await s.close();
    }
  });
});

describe('registration tokens', () => {
  let s: TestServer;
  let adminToken: string;
  before(async () => {
    s = await startTestServer({ ...TEST_USER_CONFIG, enableRegistration: true, registrationRequiresToken: true, rateLimits: {} });
    adminToken = (await registerUser(s.baseUrl, s.config, 'admin', { admin: true })).accessToken;
  });
  after(() => s.close());

  test('the flow requires m.login.registration_token; a one-use token registers one user', async () => {
    const created = await call(s.baseUrl, 'POST', '/_synapse/admin/v1/registration_tokens/new', {
      token: adminToken,
      body: { token: 'once', uses_allowed: 1 },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.deepEqual(created.body, { token: 'once', uses_allowed: 1, pending: 0, completed: 0, expiry_time: null });

    const valid = await call(s.baseUrl, 'GET', `${C}/v1/register/m.login.registration_token/validity?token=once`);
    assert.equal(valid.status, 200);
    assertMatchesSpec('client-server', 'GET', `${C}/v1/register/m.login.registration_token/validity`, 200, valid.body);
    assert.equal(valid.body.valid, true);

    const first = await call(s.baseUrl, 'POST', `${C}/v3/register`, { body: { username: 'tok1', password: 'pw' } });
    assert.deepEqual(first.body.flows, [{ stages: ['m.login.registration_token', 'm.login.dummy'] }]);
    const session = first.body.session;
    const bad = await call(s.baseUrl, 'POST', `${C}/v3/register`, {
      body: { username: 'tok1', password: 'pw', auth: { type: 'm.login.registration_token', token: 'wrong', session } },
    });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.errcode, 'M_UNAUTHORIZED');
    const step = await call(s.baseUrl, 'POST', `${C}/v3/register`, {
      body: { username: 'tok1', password: 'pw', auth: { type: 'm.login.registration_token', token: 'once', session } },
    });
    assert.equal(step.status, 401);
    assert.deepEqual(step.body.completed, ['m.login.registration_token']);
    const done = await call(s.baseUrl, 'POST', `${C}/v3/register`, { body: { username: 'tok1', password: 'pw', auth: { type: 'm.login.dummy', session } } });
    assert.equal(done.status, 200, JSON.stringify(done.body));

    const after1 = await call(s.baseUrl, 'GET', '/_synapse/admin/v1/registration_tokens/once', { token: adminToken });
    assert.equal(after1.body.completed, 1);
    assert.equal(after1.body.pending, 0);
    const invalid = await call(s.baseUrl, 'GET', `${C}/v1/register/m.login.registration_token/validity?token=once`);
    assert.equal(invalid.body.valid, false);

    const second = await call(s.baseUrl, 'POST', `${C}/v3/register`, { body: { username: 'tok2', password: 'pw' } });
    const refused = await call(s.baseUrl, 'POST', `${C}/v3/register`, {
      body: { username: 'tok2', password: 'pw', auth: { type: 'm.login.registration_token', token: 'once', session: second.body.session } },
    });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.errcode, 'M_UNAUTHORIZED');
  });

  test('the registration token admin API needs an admin', async () => {
    const user = await registerUser(s.baseUrl, s.config, 'plainuser');
    const r = await call(s.baseUrl, 'GET', '/_synapse/admin/v1/registration_tokens', { token: user.accessToken });
    assert.equal(r.status, 403);
    assert.equal(r.body.errcode, 'M_FORBIDDEN');
    const ok = await call(s.baseUrl, 'GET', '/_synapse/admin/v1/registration_tokens', { token: adminToken });
    assert.equal(ok.status, 200);
    assert.ok(Array.isArray(ok.body.registration_tokens));
  });
});
