import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { registerUser, TEST_USER_CONFIG } from '../../helpers/users.js';
import { C, call } from './fetch-json.js';

describe('devices, password, deactivation, capabilities', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ ...TEST_USER_CONFIG, rateLimits: {} });
  });
  after(() => s.close());

  const login = async (user: string, password: string, deviceId?: string) => {
    const r = await call(s.baseUrl, 'POST', `${C}/v3/login`, {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password, ...(deviceId ? { device_id: deviceId } : {}) },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return { token: String(r.body.access_token), deviceId: String(r.body.device_id) };
  };

  test('devices: list, get, rename, 404s', async () => {
    const u = await registerUser(s.baseUrl, s.config, 'dev1');
    const list = await call(s.baseUrl, 'GET', `${C}/v3/devices`, { token: u.accessToken });
    assert.equal(list.status, 200);
    assertMatchesSpec('client-server', 'GET', `${C}/v3/devices`, 200, list.body);
    const mine = (list.body.devices as Array<Record<string, unknown>>).find((d) => d.device_id === u.deviceId);
    assert.ok(mine, 'own device listed');
    assert.equal(typeof mine.last_seen_ts, 'number', 'last seen is recorded from requests');

    const put = await call(s.baseUrl, 'PUT', `${C}/v3/devices/${u.deviceId}`, { token: u.accessToken, body: { display_name: 'renamed' } });
    assert.equal(put.status, 200);
    const got = await call(s.baseUrl, 'GET', `${C}/v3/devices/${u.deviceId}`, { token: u.accessToken });
    assertMatchesSpec('client-server', 'GET', `${C}/v3/devices/${u.deviceId}`, 200, got.body);
    assert.equal(got.body.display_name, 'renamed');
    const missing = await call(s.baseUrl, 'GET', `${C}/v3/devices/NOPE`, { token: u.accessToken });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errcode, 'M_NOT_FOUND');
    const putMissing = await call(s.baseUrl, 'PUT', `${C}/v3/devices/NOPE`, { token: u.accessToken, body: { display_name: 'x' } });
    assert.equal(putMissing.status, 404);
  });

  test('DELETE /devices/{id} needs UIA; a wrong password is 401 M_FORBIDDEN with the flows', async () => {
    const u = await registerUser(s.baseUrl, s.config, 'dev2', { password: 'dev2-pw' });
    const other = await login('dev2', 'dev2-pw');
    const first = await call(s.baseUrl, 'DELETE', `${C}/v3/devices/${other.deviceId}`, { token: u.accessToken });
    assert.equal(first.status, 401);
    assertMatchesSpec('client-server', 'DELETE', `${C}/v3/devices/${other.deviceId}`, 401, first.body);
    assert.deepEqual(first.body.flows, [{ stages: ['m.login.password'] }]);
    const auth = (password: string) => ({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: '@dev2:localhost' },
      password,
      session: first.body.session,
    });
    const wrong = await call(s.baseUrl, 'DELETE', `${C}/v3/devices/${other.deviceId}`, { token: u.accessToken, body: { auth: auth('bad') } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.errcode, 'M_FORBIDDEN');
    assert.ok(Array.isArray(wrong.body.flows));
    const ok = await call(s.baseUrl, 'DELETE', `${C}/v3/devices/${other.deviceId}`, { token: u.accessToken, body: { auth: auth('dev2-pw') } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await call(s.baseUrl, 'GET', `${C}/v3/account/whoami`, { token: other.token })).status, 401);
  });

  test('another user password does not satisfy UIA', async () => {
    const u = await registerUser(s.baseUrl, s.config, 'dev3', { password: 'dev3-pw' });
    await registerUser(s.baseUrl, s.config, 'mallory', { password: 'm-pw' });
    const first = await call(s.baseUrl, 'POST', `${C}/v3/delete_devices`, { token: u.accessToken, body: { devices: [u.deviceId] } });
    const r = await call(s.baseUrl, 'POST', `${C}/v3/delete_devices`, {
      token: u.accessToken,
      body: { devices: [u.deviceId], auth: { type: 'm.login.password', user: 'mallory', password: 'm-pw', session: first.body.session } },
    });
    assert.equal(r.status, 401);
    assert.equal(r.body.errcode, 'M_FORBIDDEN');
  });

  test('POST /delete_devices deletes several devices after UIA', async () => {
    const u = await registerUser(s.baseUrl, s.config, 'dev4', { password: 'dev4-pw' });
    const a = await login('dev4', 'dev4-pw');
    const b = await login('dev4', 'dev4-pw');
    const first = await call(s.baseUrl, 'POST', `${C}/v3/delete_devices`, { token: u.accessToken, body: { devices: [a.deviceId, b.deviceId] } });
    assert.equal(first.status, 401);
    const done = await call(s.baseUrl, 'POST', `${C}/v3/delete_devices`, {
      token: u.accessToken,
      body: { devices: [a.deviceId, b.deviceId], auth: { type: 'm.login.password', user: 'dev4', password: 'dev4-pw', session: first.body.session } },
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const list = await call(s.baseUrl, 'GET', `${C}/v3/devices`, { token: u.accessToken });
    assert.deepEqual((list.body.devices as Array<{ device_id: string }>).map((d) => d.device_id), [u.deviceId]);
  });

  test('password change logs out other devices by default and the new password works', async () => {
    const u = await registerUser(s.baseUrl, s.config, 'pwuser', { password: 'old-pw' });
    const other = await login('pwuser', 'old-pw');
    const first = await call(s.baseUrl, 'POST', `${C}/v3/account/password`, { token: u.accessToken, body: { new_password: 'new-pw' } });
    assert.equal(first.status, 401);
    const r = await call(s.baseUrl, 'POST', `${C}/v3/account/password`, {
      token: u.accessToken,
      body: { new_password: 'new-pw', auth: { type: 'm.login.password', user: 'pwuser', password: 'old-pw', session: first.body.session } },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await call(s.baseUrl, 'GET', `${C}/v3/account/whoami`, { token: u.accessToken })).status, 200, 'own session stays');
    assert.equal((await call(s.baseUrl, 'GET', `${C}/v3/account/whoami`, { token: other.token })).status, 401, 'other sessions end');
    await login('pwuser', 'new-pw');
    const old = await call(s.baseUrl, 'POST', `${C}/v3/login`, { body: { type: 'm.login.password', user: 'pwuser', password: 'old-pw' } });
    assert.equal(old.status, 403);
  });

  test('deactivation: UIA, no-support unbind result, tokens gone, login refused with M_USER_DEACTIVATED', async () => {
    const u = await registerUser(s.baseUrl, s.config, 'leaver', { password: 'l-pw' });
    const first = await call(s.baseUrl, 'POST', `${C}/v3/account/deactivate`, { token: u.accessToken, body: {} });
    assert.equal(first.status, 401);
    const r = await call(s.baseUrl, 'POST', `${C}/v3/account/deactivate`, {
      token: u.accessToken,
      body: { auth: { type: 'm.login.password', user: 'leaver', password: 'l-pw', session: first.body.session } },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assertMatchesSpec('client-server', 'POST', `${C}/v3/account/deactivate`, 200, r.body);
    assert.equal(r.body.id_server_unbind_result, 'no-support');
    assert.equal((await call(s.baseUrl, 'GET', `${C}/v3/account/whoami`, { token: u.accessToken })).status, 401);
    const again = await call(s.baseUrl, 'POST', `${C}/v3/login`, { body: { type: 'm.login.password', user: 'leaver', password: 'l-pw' } });
    assert.equal(again.status, 403);
    assert.equal(again.body.errcode, 'M_USER_DEACTIVATED');
    const avail = await call(s.baseUrl, 'GET', `${C}/v3/register/available?username=leaver`);
    assert.equal(avail.body.errcode, 'M_USER_IN_USE', 'a deactivated id is never reused');
  });

  test('capabilities and 3PID answers', async () => {
    const u = await registerUser(s.baseUrl, s.config, 'capuser');
    const caps = await call(s.baseUrl, 'GET', `${C}/v3/capabilities`, { token: u.accessToken });
    assert.equal(caps.status, 200);
    assertMatchesSpec('client-server', 'GET', `${C}/v3/capabilities`, 200, caps.body);
    const c = caps.body.capabilities as Record<string, Record<string, unknown>>;
    assert.equal(c['m.room_versions']?.default, '12');
    assert.equal((c['m.room_versions']?.available as Record<string, string>)['1'], 'stable');
    assert.deepEqual(c['m.change_password'], { enabled: true });
    assert.deepEqual(c['m.3pid_changes'], { enabled: false });
    const tp = await call(s.baseUrl, 'GET', `${C}/v3/account/3pid`, { token: u.accessToken });
    assert.deepEqual(tp.body, { threepids: [] });
    assertMatchesSpec('client-server', 'GET', `${C}/v3/account/3pid`, 200, tp.body);
    const req = await call(s.baseUrl, 'POST', `${C}/v3/account/3pid/email/requestToken`, { body: { client_secret: 'x', email: 'a@b.c', send_attempt: 1 } });
    assert.equal(req.status, 400);
    assert.equal(req.body.errcode, 'M_THREEPID_MEDIUM_NOT_SUPPORTED');
  });
});
