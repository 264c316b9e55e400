import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';

// Reporting content over the real server: event, room and user reports are stored and listed for an admin
// through Synapse's admin API; the spec's 404s; admin-only access; suspension via the admin API.

const V3 = '/_matrix/client/v3';
const ADMIN = '/_synapse/admin/v1';

describe('reporting content', () => {
  let server: TestServer;
  let admin: RegisteredUser;
  let alice: RegisteredUser;
  let mallory: RegisteredUser;
  let outsider: RegisteredUser;
  let roomId: string;
  let badEvent: string;
  const enc = encodeURIComponent;

  async function call(user: RegisteredUser | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (user) headers.Authorization = `Bearer ${user.accessToken}`;
    const res = await fetch(`${server.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  before(async () => {
    server = await startTestServer({ ...TEST_USER_CONFIG });
    admin = await registerUser(server.baseUrl, server.config, 'admin', { admin: true });
    alice = await registerUser(server.baseUrl, server.config, 'alice');
    mallory = await registerUser(server.baseUrl, server.config, 'mallory');
    outsider = await registerUser(server.baseUrl, server.config, 'outsider');
    roomId = String((await call(alice, 'POST', `${V3}/createRoom`, { preset: 'public_chat', name: 'Reported' })).body.room_id);
    assert.equal((await call(mallory, 'POST', `${V3}/join/${enc(roomId)}`, {})).status, 200);
    const sent = await call(mallory, 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/1`, { msgtype: 'm.text', body: 'spam' });
    badEvent = String(sent.body.event_id);
  });
  after(() => server.close());

  test('an event report is stored and visible to an admin, with the event', async () => {
    const res = await call(alice, 'POST', `${V3}/rooms/${enc(roomId)}/report/${enc(badEvent)}`, { reason: 'spam', score: -100 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertMatchesSpec('client-server', 'POST', '/_matrix/client/v3/rooms/{roomId}/report/{eventId}', 200, res.body);

    const list = await call(admin, 'GET', `${ADMIN}/event_reports`);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.equal(list.body.total, 1);
    const [report] = list.body.event_reports as Array<Record<string, unknown>>;
    assert.equal(report?.event_id, badEvent);
    assert.equal(report?.room_id, roomId);
    assert.equal(report?.user_id, alice.userId);
    assert.equal(report?.sender, mallory.userId);
    assert.equal(report?.reason, 'spam');
    assert.equal(report?.score, -100);
    assert.equal(report?.name, 'Reported');
    assert.equal(typeof report?.received_ts, 'number');

    const one = await call(admin, 'GET', `${ADMIN}/event_reports/${String(report?.id)}`);
    assert.equal(one.status, 200);
    assert.equal((one.body.event_json as Record<string, unknown>).sender, mallory.userId);

    const forbidden = await call(alice, 'GET', `${ADMIN}/event_reports`);
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.errcode, 'M_FORBIDDEN');

    const del = await call(admin, 'DELETE', `${ADMIN}/event_reports/${String(report?.id)}`);
    assert.equal(del.status, 200);
    assert.equal((await call(admin, 'GET', `${ADMIN}/event_reports/${String(report?.id)}`)).status, 404);
    assert.equal((await call(admin, 'GET', `${ADMIN}/event_reports/abc`)).status, 400);
  });

  test('event reports need membership and an event of that room (404 otherwise)', async () => {
    const notMember = await call(outsider, 'POST', `${V3}/rooms/${enc(roomId)}/report/${enc(badEvent)}`, { reason: 'x' });
    assert.equal(notMember.status, 404);
    assert.equal(notMember.body.errcode, 'M_NOT_FOUND');
    assertMatchesSpec('client-server', 'POST', '/_matrix/client/v3/rooms/{roomId}/report/{eventId}', 404, notMember.body);
    const noEvent = await call(alice, 'POST', `${V3}/rooms/${enc(roomId)}/report/${enc('$nope')}`, { reason: 'x' });
    assert.equal(noEvent.status, 404);
    const badScore = await call(alice, 'POST', `${V3}/rooms/${enc(roomId)}/report/${enc(badEvent)}`, { score: 5 });
    assert.equal(badScore.status, 400);
  });

  test('room and user reports (v1.13, v1.14) are stored and listed', async () => {
    const room = await call(outsider, 'POST', `${V3}/rooms/${enc(roomId)}/report`, { reason: 'bad room' });
    assert.equal(room.status, 200, JSON.stringify(room.body));
    assertMatchesSpec('client-server', 'POST', '/_matrix/client/v3/rooms/{roomId}/report', 200, room.body);
    const user = await call(alice, 'POST', `${V3}/users/${enc(mallory.userId)}/report`, { reason: 'spammer' });
    assert.equal(user.status, 200, JSON.stringify(user.body));
    assertMatchesSpec('client-server', 'POST', '/_matrix/client/v3/users/{userId}/report', 200, user.body);

    const rooms = await call(admin, 'GET', `${ADMIN}/room_reports`);
    assert.equal((rooms.body.room_reports as Array<Record<string, unknown>>)[0]?.reason, 'bad room');
    const users = await call(admin, 'GET', `${ADMIN}/user_reports`);
    assert.equal((users.body.user_reports as Array<Record<string, unknown>>)[0]?.target_user_id, mallory.userId);

    const noRoom = await call(alice, 'POST', `${V3}/rooms/${enc('!missing:localhost')}/report`, { reason: 'x' });
    assert.equal(noRoom.status, 404);
    const noUser = await call(alice, 'POST', `${V3}/users/${enc('@ghost:localhost')}/report`, { reason: 'x' });
    assert.equal(noUser.status, 404);
    const noReason = await call(alice, 'POST', `${V3}/users/${enc(mallory.userId)}/report`, {});
    assert.equal(noReason.status, 400);
  });

  test('admin listing pages with from/limit and next_token', async () => {
    for (let i = 0; i < 3; i++) {
      assert.equal((await call(alice, 'POST', `${V3}/rooms/${enc(roomId)}/report/${enc(badEvent)}`, { reason: `r${i}` })).status, 200);
    }
    const first = await call(admin, 'GET', `${ADMIN}/event_reports?limit=2`);
    assert.equal((first.body.event_reports as unknown[]).length, 2);
    assert.equal(first.body.next_token, 2);
    assert.equal((first.body.event_reports as Array<Record<string, unknown>>)[0]?.reason, 'r2');
    const second = await call(admin, 'GET', `${ADMIN}/event_reports?limit=2&from=2`);
    assert.equal((second.body.event_reports as unknown[]).length, 1);
    assert.equal(second.body.next_token, undefined);
  });

  test('admin suspend answers like Synapse', async () => {
    const res = await call(admin, 'PUT', `${ADMIN}/suspend/${enc(mallory.userId)}`, { suspend: true });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { [`user_${mallory.userId}_suspended`]: true });
    // At once, although mallory's token was looked up (and cached) before the suspension.
    const refused = await call(mallory, 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/suspended-1`, { msgtype: 'm.text', body: 'more' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.errcode, 'M_USER_SUSPENDED');
    const undo = await call(admin, 'PUT', `${ADMIN}/suspend/${enc(mallory.userId)}`, { suspend: false });
    assert.equal(undo.status, 200);
    assert.equal((await call(mallory, 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/suspended-2`, { msgtype: 'm.text', body: 'ok' })).status, 200);
    assert.equal((await call(admin, 'PUT', `${ADMIN}/suspend/${enc('@ghost:localhost')}`, { suspend: true })).status, 404);
    assert.equal((await call(admin, 'PUT', `${ADMIN}/suspend/${enc('@x:elsewhere')}`, { suspend: true })).status, 400);
    assert.equal((await call(alice, 'PUT', `${ADMIN}/suspend/${enc(mallory.userId)}`, { suspend: true })).status, 403);
  });
});
