import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';
import { C, call } from './http.js';

const ALG = 'm.megolm_backup.v1.curve25519-aes-sha2';
const key = (fmi: number, verified: boolean, tag: string) => ({
  first_message_index: fmi,
  forwarded_count: 0,
  is_verified: verified,
  session_data: { ephemeral: 'e', ciphertext: tag, mac: 'm' },
});

describe('server-side key backup over HTTP', () => {
  let s: TestServer;
  let u: RegisteredUser;
  before(async () => {
    s = await startTestServer({ ...TEST_USER_CONFIG, rateLimits: {} });
    u = await registerUser(s.baseUrl, s.config, 'alice');
  });
  after(() => s.close());

  test('versions: 404 before any, create, get current and by id, update, delete', async () => {
    const none = await call(s.baseUrl, 'GET', `${C}/v3/room_keys/version`, { token: u.accessToken });
    assert.equal(none.status, 404);
    assertMatchesSpec('client-server', 'GET', `${C}/v3/room_keys/version`, 404, none.body);
    const created = await call(s.baseUrl, 'POST', `${C}/v3/room_keys/version`, {
      token: u.accessToken,
      body: { algorithm: ALG, auth_data: { public_key: 'pk', signatures: {} } },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assertMatchesSpec('client-server', 'POST', `${C}/v3/room_keys/version`, 200, created.body);
    const version = String(created.body.version);
    const current = await call(s.baseUrl, 'GET', `${C}/v3/room_keys/version`, { token: u.accessToken });
    assertMatchesSpec('client-server', 'GET', `${C}/v3/room_keys/version`, 200, current.body);
    assert.equal(current.body.version, version);
    const byId = await call(s.baseUrl, 'GET', `${C}/v3/room_keys/version/${version}`, { token: u.accessToken });
    assertMatchesSpec('client-server', 'GET', `${C}/v3/room_keys/version/${version}`, 200, byId.body);
    const upd = await call(s.baseUrl, 'PUT', `${C}/v3/room_keys/version/${version}`, {
      token: u.accessToken,
      body: { algorithm: ALG, auth_data: { public_key: 'pk2' }, version },
    });
    assert.equal(upd.status, 200);
    assertMatchesSpec('client-server', 'PUT', `${C}/v3/room_keys/version/${version}`, 200, upd.body);
    const mismatch = await call(s.baseUrl, 'PUT', `${C}/v3/room_keys/version/${version}`, {
      token: u.accessToken,
      body: { algorithm: ALG, auth_data: {}, version: '999' },
    });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.errcode, 'M_INVALID_PARAM');
    const del = await call(s.baseUrl, 'DELETE', `${C}/v3/room_keys/version/${version}`, { token: u.accessToken });
    assert.equal(del.status, 200);
    assertMatchesSpec('client-server', 'DELETE', `${C}/v3/room_keys/version/${version}`, 200, del.body);
    const gone = await call(s.baseUrl, 'GET', `${C}/v3/room_keys/version/${version}`, { token: u.accessToken });
    assert.equal(gone.status, 404);
    assertMatchesSpec('client-server', 'GET', `${C}/v3/room_keys/version/${version}`, 404, gone.body);
  });

  test('keys: put per session, room and all; replacement rules; etag and count; wrong version', async () => {
    const v1 = String((await call(s.baseUrl, 'POST', `${C}/v3/room_keys/version`, { token: u.accessToken, body: { algorithm: ALG, auth_data: {} } })).body.version);
    const v2 = String((await call(s.baseUrl, 'POST', `${C}/v3/room_keys/version`, { token: u.accessToken, body: { algorithm: ALG, auth_data: {} } })).body.version);
    const room = encodeURIComponent('!room:localhost');
    const wrong = await call(s.baseUrl, 'PUT', `${C}/v3/room_keys/keys/${room}/s1?version=${v1}`, { token: u.accessToken, body: key(0, false, 'a') });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.errcode, 'M_WRONG_ROOM_KEYS_VERSION');
    assert.equal(wrong.body.current_version, v2);
    assertMatchesSpec('client-server', 'PUT', `${C}/v3/room_keys/keys/${room}/s1`, 403, wrong.body);

    const one = await call(s.baseUrl, 'PUT', `${C}/v3/room_keys/keys/${room}/s1?version=${v2}`, { token: u.accessToken, body: key(5, false, 'a') });
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assertMatchesSpec('client-server', 'PUT', `${C}/v3/room_keys/keys/${room}/s1`, 200, one.body);
    assert.deepEqual(one.body, { etag: '1', count: 1 });
    const roomPut = await call(s.baseUrl, 'PUT', `${C}/v3/room_keys/keys/${room}?version=${v2}`, {
      token: u.accessToken,
      body: { sessions: { s1: key(9, false, 'worse'), s2: key(0, true, 'b') } },
    });
    assertMatchesSpec('client-server', 'PUT', `${C}/v3/room_keys/keys/${room}`, 200, roomPut.body);
    assert.deepEqual(roomPut.body, { etag: '2', count: 2 });
    const allPut = await call(s.baseUrl, 'PUT', `${C}/v3/room_keys/keys?version=${v2}`, {
      token: u.accessToken,
      body: { rooms: { '!room:localhost': { sessions: { s1: key(1, true, 'better') } } } },
    });
    assertMatchesSpec('client-server', 'PUT', `${C}/v3/room_keys/keys`, 200, allPut.body);
    assert.deepEqual(allPut.body, { etag: '3', count: 2 });

    const s1 = await call(s.baseUrl, 'GET', `${C}/v3/room_keys/keys/${room}/s1?version=${v2}`, { token: u.accessToken });
    assertMatchesSpec('client-server', 'GET', `${C}/v3/room_keys/keys/${room}/s1`, 200, s1.body);
    assert.deepEqual(s1.body, key(1, true, 'better'));
    const perRoom = await call(s.baseUrl, 'GET', `${C}/v3/room_keys/keys/${room}?version=${v2}`, { token: u.accessToken });
    assertMatchesSpec('client-server', 'GET', `${C}/v3/room_keys/keys/${room}`, 200, perRoom.body);
    const all = await call(s.baseUrl, 'GET', `${C}/v3/room_keys/keys?version=${v2}`, { token: u.accessToken });
    assertMatchesSpec('client-server', 'GET', `${C}/v3/room_keys/keys`, 200, all.body);
    assert.deepEqual(Object.keys((all.body.rooms as Record<string, { sessions: object }>)['!room:localhost']?.sessions ?? {}).sort(), ['s1', 's2']);
    const empty = await call(s.baseUrl, 'GET', `${C}/v3/room_keys/keys/${encodeURIComponent('!other:localhost')}?version=${v2}`, { token: u.accessToken });
    assert.deepEqual(empty.body, { sessions: {} });
    const missing = await call(s.baseUrl, 'GET', `${C}/v3/room_keys/keys/${room}/nope?version=${v2}`, { token: u.accessToken });
    assert.equal(missing.status, 404);
    const noVersion = await call(s.baseUrl, 'GET', `${C}/v3/room_keys/keys`, { token: u.accessToken });
    assert.equal(noVersion.status, 400);

    const del = await call(s.baseUrl, 'DELETE', `${C}/v3/room_keys/keys/${room}/s2?version=${v2}`, { token: u.accessToken });
    assertMatchesSpec('client-server', 'DELETE', `${C}/v3/room_keys/keys/${room}/s2`, 200, del.body);
    assert.deepEqual(del.body, { etag: '4', count: 1 });
    const info = await call(s.baseUrl, 'GET', `${C}/v3/room_keys/version/${v2}`, { token: u.accessToken });
    assert.equal(info.body.count, 1);
    assert.equal(info.body.etag, '4');
  });
});
