import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';

// POST /user/{userId}/openid/request_token: a short-lived token for the requester only, shaped by the spec.

describe('openid request_token', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  const enc = encodeURIComponent;

  before(async () => {
    server = await startTestServer({ ...TEST_USER_CONFIG });
    alice = await registerUser(server.baseUrl, server.config, 'alice');
    bob = await registerUser(server.baseUrl, server.config, 'bob');
  });
  after(() => server.close());

  async function request(user: RegisteredUser, target: string) {
    const res = await fetch(`${server.baseUrl}/_matrix/client/v3/user/${enc(target)}/openid/request_token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${user.accessToken}` },
      body: '{}',
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  test('issues distinct bearer tokens for oneself, refuses other users', async () => {
    const a = await request(alice, alice.userId);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assertMatchesSpec('client-server', 'POST', '/_matrix/client/v3/user/{userId}/openid/request_token', 200, a.body);
    assert.equal(a.body.token_type, 'Bearer');
    assert.equal(a.body.matrix_server_name, 'localhost');
    assert.equal(a.body.expires_in, 3600);
    const b = await request(alice, alice.userId);
    assert.notEqual(a.body.access_token, b.body.access_token);

    const other = await request(bob, alice.userId);
    assert.equal(other.status, 403);
    assert.equal(other.body.errcode, 'M_FORBIDDEN');
  });
});
