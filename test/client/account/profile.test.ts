import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';
import { C, call } from './fetch-json.js';

describe('profiles', () => {
  let s: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  before(async () => {
    s = await startTestServer({ ...TEST_USER_CONFIG, rateLimits: {} });
    alice = await registerUser(s.baseUrl, s.config, 'alice');
    bob = await registerUser(s.baseUrl, s.config, 'bob', { displayname: 'Bobby' });
  });
  after(() => s.close());

  test('new users get their localpart (or the given name) as displayname', async () => {
    const a = await call(s.baseUrl, 'GET', `${C}/v3/profile/${encodeURIComponent(alice.userId)}`);
    assert.equal(a.status, 200);
    assertMatchesSpec('client-server', 'GET', `${C}/v3/profile/${encodeURIComponent(alice.userId)}`, 200, a.body);
    assert.deepEqual(a.body, { displayname: 'alice' });
    const b = await call(s.baseUrl, 'GET', `${C}/v3/profile/${encodeURIComponent(bob.userId)}/displayname`);
    assert.deepEqual(b.body, { displayname: 'Bobby' });
  });

  test('set displayname and avatar_url, then read them', async () => {
    const id = encodeURIComponent(alice.userId);
    const put = await call(s.baseUrl, 'PUT', `${C}/v3/profile/${id}/displayname`, { token: alice.accessToken, body: { displayname: 'Alice W' } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const av = await call(s.baseUrl, 'PUT', `${C}/v3/profile/${id}/avatar_url`, { token: alice.accessToken, body: { avatar_url: 'mxc://localhost/abc' } });
    assert.equal(av.status, 200);
    const p = await call(s.baseUrl, 'GET', `${C}/v3/profile/${id}`);
    assert.deepEqual(p.body, { displayname: 'Alice W', avatar_url: 'mxc://localhost/abc' });
    const one = await call(s.baseUrl, 'GET', `${C}/v3/profile/${id}/avatar_url`);
    assertMatchesSpec('client-server', 'GET', `${C}/v3/profile/${id}/avatar_url`, 200, one.body);
  });

  test("setting another user's profile is 403; unknown users are 404", async () => {
    const r = await call(s.baseUrl, 'PUT', `${C}/v3/profile/${encodeURIComponent(bob.userId)}/displayname`, {
      token: alice.accessToken,
      body: { displayname: 'hacked' },
    });
    assert.equal(r.status, 403);
    assert.equal(r.body.errcode, 'M_FORBIDDEN');
    const missing = await call(s.baseUrl, 'GET', `${C}/v3/profile/${encodeURIComponent('@nobody:localhost')}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errcode, 'M_NOT_FOUND');
    const noBody = await call(s.baseUrl, 'PUT', `${C}/v3/profile/${encodeURIComponent(alice.userId)}/displayname`, { token: alice.accessToken, body: {} });
    assert.equal(noBody.status, 400);
    assert.equal(noBody.body.errcode, 'M_MISSING_PARAM');
  });

  test('custom profile fields: set, read, delete; invalid key and oversize profile', async () => {
    const id = encodeURIComponent(bob.userId);
    const put = await call(s.baseUrl, 'PUT', `${C}/v3/profile/${id}/m.tz`, { token: bob.accessToken, body: { 'm.tz': 'Europe/Paris' } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const custom = await call(s.baseUrl, 'PUT', `${C}/v3/profile/${id}/org.example.pronouns`, { token: bob.accessToken, body: { 'org.example.pronouns': ['he'] } });
    assert.equal(custom.status, 200);
    const all = await call(s.baseUrl, 'GET', `${C}/v3/profile/${id}`);
    assert.deepEqual(all.body, { displayname: 'Bobby', 'm.tz': 'Europe/Paris', 'org.example.pronouns': ['he'] });
    const del = await call(s.baseUrl, 'DELETE', `${C}/v3/profile/${id}/m.tz`, { token: bob.accessToken });
    assert.equal(del.status, 200);
    const gone = await call(s.baseUrl, 'GET', `${C}/v3/profile/${id}/m.tz`);
    assert.equal(gone.status, 404);
    const bad = await call(s.baseUrl, 'PUT', `${C}/v3/profile/${id}/Bad-Key`, { token: bob.accessToken, body: { 'Bad-Key': 1 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errcode, 'M_INVALID_PARAM');
    const huge = await call(s.baseUrl, 'PUT', `${C}/v3/profile/${id}/org.example.big`, { token: bob.accessToken, body: { 'org.example.big': 'x'.repeat(70_000) } });
    assert.equal(huge.status, 400);
    assert.equal(huge.body.errcode, 'M_PROFILE_TOO_LARGE');
  });
});
