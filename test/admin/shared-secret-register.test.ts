import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { registrationMac } from '../../src/admin/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_USER_CONFIG } from '../helpers/users.js';
import { call } from '../client/account/fetch-json.js';

const URL = '/_synapse/admin/v1/register';

describe('shared-secret registration (/_synapse/admin/v1/register)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ ...TEST_USER_CONFIG });
  });
  after(() => s.close());

  const nonce = async () => String((await call(s.baseUrl, 'GET', URL)).body.nonce);
  const secret = TEST_USER_CONFIG.registrationSharedSecret;

  test('the MAC matches Synapse (known vector)', () => {
    // hmac-sha1("secret", "abc\0bob\0pw\0notadmin"), computed independently with Python's hmac module.
    assert.equal(registrationMac('secret', { nonce: 'abc', username: 'bob', password: 'pw', admin: false }), '8ea9b87daa4e529ce4a0832f09be19bbe837a0af');
    assert.notEqual(
      registrationMac('secret', { nonce: 'abc', username: 'bob', password: 'pw', admin: false }),
      registrationMac('secret', { nonce: 'abc', username: 'bob', password: 'pw', admin: true }),
    );
  });

  test('a good MAC registers an admin who can log in; the nonce cannot be reused', async () => {
    const n = await nonce();
    const body = { nonce: n, username: 'Root', password: 'root-pw', admin: true, mac: registrationMac(secret, { nonce: n, username: 'Root', password: 'root-pw', admin: true }) };
    const r = await call(s.baseUrl, 'POST', URL, { body });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.user_id, '@root:localhost');
    assert.equal(typeof r.body.access_token, 'string');
    assert.equal(r.body.home_server, 'localhost');
    const tokens = await call(s.baseUrl, 'GET', '/_synapse/admin/v1/registration_tokens', { token: String(r.body.access_token) });
    assert.equal(tokens.status, 200, 'registered as admin');
    const again = await call(s.baseUrl, 'POST', URL, { body });
    assert.equal(again.status, 400);
    assert.equal(again.body.errcode, 'M_UNKNOWN');
    assert.equal(again.body.error, 'unrecognised nonce');
  });

  test('a bad MAC is 403 HMAC incorrect; user_type is covered by the MAC', async () => {
    const n = await nonce();
    const r = await call(s.baseUrl, 'POST', URL, { body: { nonce: n, username: 'eve', password: 'pw', admin: false, mac: 'deadbeef' } });
    assert.equal(r.status, 403);
    assert.equal(r.body.errcode, 'M_FORBIDDEN');
    assert.equal(r.body.error, 'HMAC incorrect');
    const n2 = await nonce();
    const withoutType = registrationMac(secret, { nonce: n2, username: 'botty', password: 'pw', admin: false });
    const r2 = await call(s.baseUrl, 'POST', URL, { body: { nonce: n2, username: 'botty', password: 'pw', admin: false, user_type: 'bot', mac: withoutType } });
    assert.equal(r2.status, 403);
    const n3 = await nonce();
    const withType = registrationMac(secret, { nonce: n3, username: 'botty', password: 'pw', admin: false, userType: 'bot' });
    const r3 = await call(s.baseUrl, 'POST', URL, { body: { nonce: n3, username: 'botty', password: 'pw', admin: false, user_type: 'bot', mac: withType } });
    assert.equal(r3.status, 200, JSON.stringify(r3.body));
  });

  test('an existing user is M_USER_IN_USE; an unknown nonce is refused', async () => {
    const n = await nonce();
    const mk = (nn: string) => ({ nonce: nn, username: 'root', password: 'x', admin: false, mac: registrationMac(secret, { nonce: nn, username: 'root', password: 'x', admin: false }) });
    const r = await call(s.baseUrl, 'POST', URL, { body: mk(n) });
    assert.equal(r.status, 400);
    assert.equal(r.body.errcode, 'M_USER_IN_USE');
    const bogus = await call(s.baseUrl, 'POST', URL, { body: mk('made-up') });
    assert.equal(bogus.status, 400);
    assert.equal(bogus.body.error, 'unrecognised nonce');
  });

  test('server_version answers', async () => {
    const r = await call(s.baseUrl, 'GET', '/_synapse/admin/v1/server_version');
    assert.equal(r.status, 200);
    assert.equal(typeof r.body.server_version, 'string');
  });
});

test('without a configured secret shared-secret registration is refused with 400', async () => {
  const s = await startTestServer({});
  try {
    const r = await call(s.baseUrl, 'GET', URL);
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'Shared secret registration is not enabled');
  } finally {
    await s.close();
  }
});
