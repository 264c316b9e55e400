import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { assertMatchesSpec } from '../helpers/spec-schemas.js';
import { registerUser, type RegisteredUser } from '../helpers/users.js';
import { call, registerGhost, startAsServer, type AsServer } from './as-harness.js';

// Device management by application services without /login (v1.17, MSC4190): PUT /devices/{deviceId}
// creates (201) or updates (200) a masqueraded user's device, DELETE /devices/{deviceId} and
// POST /delete_devices need no user-interactive auth; a registration with io.element.msc4190 cannot use
// appservice login at all (M_APPSERVICE_LOGIN_UNSUPPORTED), as in Synapse.

const C = '/_matrix/client/v3';

describe('application service device management (MSC4190)', () => {
  let as: AsServer;
  let ghost: string;
  let alice: RegisteredUser;
  const asGhost = (path: string) => `${path}${path.includes('?') ? '&' : '?'}user_id=${encodeURIComponent(ghost)}`;

  before(async () => {
    as = await startAsServer({ 'io.element.msc4190': true });
    ghost = await registerGhost(as, '_br_devices');
    alice = await registerUser(as.server.baseUrl, as.server.config, 'alice');
  });

  after(() => as.close());

  it('PUT /devices/{deviceId} creates the device (201), then updates it (200); the device can be masqueraded', async () => {
    assert.deepEqual((await as.asCall('GET', asGhost(`${C}/devices`))).body, { devices: [] });
    const created = await as.asCall('PUT', asGhost(`${C}/devices/BRIDGEDEV`), { display_name: 'Bridge device' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assertMatchesSpec('client-server', 'put', '/_matrix/client/v3/devices/{deviceId}', 201, created.body);
    const again = await as.asCall('PUT', asGhost(`${C}/devices/BRIDGEDEV`), { display_name: 'Renamed' });
    assert.equal(again.status, 200);
    const list = await as.asCall('GET', asGhost(`${C}/devices`));
    assert.deepEqual(
      (list.body.devices as Array<Record<string, unknown>>).map((d) => [d.device_id, d.display_name]),
      [['BRIDGEDEV', 'Renamed']],
    );
    const who = await as.asCall('GET', asGhost(`${C}/account/whoami?device_id=BRIDGEDEV`));
    assert.equal(who.status, 200);
    assert.equal(who.body.device_id, 'BRIDGEDEV');
  });

  it('DELETE /devices/{deviceId} and POST /delete_devices need no user-interactive auth for the service', async () => {
    assert.equal((await as.asCall('PUT', asGhost(`${C}/devices/GONE1`), {})).status, 201);
    assert.equal((await as.asCall('PUT', asGhost(`${C}/devices/GONE2`), {})).status, 201);
    const del = await as.asCall('DELETE', asGhost(`${C}/devices/GONE1`));
    assert.equal(del.status, 200, JSON.stringify(del.body));
    const bulk = await as.asCall('POST', asGhost(`${C}/delete_devices`), { devices: ['GONE2'] });
    assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
    const ids = ((await as.asCall('GET', asGhost(`${C}/devices`))).body.devices as Array<Record<string, unknown>>).map((d) => d.device_id);
    assert.ok(!ids.includes('GONE1') && !ids.includes('GONE2'));
  });

  it('an ordinary user cannot create a device with PUT and still needs user-interactive auth to delete', async () => {
    const put = await call(as.server.baseUrl, 'PUT', `${C}/devices/NEWDEVICE`, alice.accessToken, { display_name: 'x' });
    assert.equal(put.status, 404);
    const del = await call(as.server.baseUrl, 'DELETE', `${C}/devices/${alice.deviceId}`, alice.accessToken, {});
    assert.equal(del.status, 401);
    assert.ok(Array.isArray(del.body.flows));
  });

  it('with io.element.msc4190 the service cannot log users in, nor register them without inhibit_login', async () => {
    const login = await as.asCall('POST', `${C}/login`, { type: 'm.login.application_service', identifier: { type: 'm.id.user', user: '_br_devices' } });
    assert.equal(login.status, 400);
    assert.equal(login.body.errcode, 'M_APPSERVICE_LOGIN_UNSUPPORTED');
    const reg = await as.asCall('POST', `${C}/register`, { type: 'm.login.application_service', username: '_br_withlogin' });
    assert.equal(reg.status, 400);
    assert.equal(reg.body.errcode, 'M_APPSERVICE_LOGIN_UNSUPPORTED');
  });
});

describe('application service login without MSC4190', () => {
  let as: AsServer;
  before(async () => {
    as = await startAsServer({});
  });
  after(() => as.close());

  it('logs a namespace user in; a user outside the namespace is M_EXCLUSIVE', async () => {
    await registerGhost(as, '_br_login');
    const ok = await as.asCall('POST', `${C}/login`, { type: 'm.login.application_service', identifier: { type: 'm.id.user', user: '_br_login' } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.user_id, '@_br_login:localhost');
    const outside = await as.asCall('POST', `${C}/login`, { type: 'm.login.application_service', identifier: { type: 'm.id.user', user: 'someone' } });
    assert.equal(outside.status, 400);
    assert.equal(outside.body.errcode, 'M_EXCLUSIVE');
  });
});
