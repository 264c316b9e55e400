import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../helpers/users.js';

// Server notices through Synapse's admin API: a private room from the system user, tagged m.server_notice for
// the recipient, reused for later notices, idempotent per txn id, refused when notices are off.

const V3 = '/_matrix/client/v3';
const ADMIN = '/_synapse/admin/v1';

async function call(baseUrl: string, user: RegisteredUser, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Authorization: `Bearer ${user.accessToken}` };
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('server notices', () => {
  let server: TestServer;
  let admin: RegisteredUser;
  let alice: RegisteredUser;
  const enc = encodeURIComponent;

  before(async () => {
    server = await startTestServer({ ...TEST_USER_CONFIG, ...({ serverNoticesMxidLocalpart: 'notices' } as object) });
    admin = await registerUser(server.baseUrl, server.config, 'admin', { admin: true });
    alice = await registerUser(server.baseUrl, server.config, 'alice');
  });
  after(() => server.close());

  test('a notice lands in a tagged room the user is invited to, reused for the next one', async () => {
    const first = await call(server.baseUrl, admin, 'POST', `${ADMIN}/send_server_notice`, {
      user_id: alice.userId,
      content: { msgtype: 'm.text', body: 'Maintenance tonight' },
    });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(typeof first.body.event_id, 'string');

    const sync = await call(server.baseUrl, alice, 'GET', `${V3}/sync?timeout=0`);
    const invites = (sync.body.rooms as { invite?: Record<string, { invite_state: { events: Array<{ type: string; sender: string }> } }> }).invite ?? {};
    const [roomId] = Object.keys(invites);
    assert.ok(roomId, 'invited to the notices room');
    assert.ok(invites[roomId]?.invite_state.events.some((e) => e.type === 'm.room.member' && e.sender === '@notices:localhost'));
    const tags = await call(server.baseUrl, alice, 'GET', `${V3}/user/${enc(alice.userId)}/rooms/${enc(roomId)}/tags`);
    assert.deepEqual(tags.body, { tags: { 'm.server_notice': {} } });

    assert.equal((await call(server.baseUrl, alice, 'POST', `${V3}/join/${enc(roomId)}`, {})).status, 200);
    const msgs = await call(server.baseUrl, alice, 'GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b`);
    assert.ok((msgs.body.chunk as Array<{ content: { body?: string } }>).some((e) => e.content.body === 'Maintenance tonight'));
    // The user reads but cannot post.
    const post = await call(server.baseUrl, alice, 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/1`, { msgtype: 'm.text', body: 'hi' });
    assert.equal(post.status, 403);

    const second = await call(server.baseUrl, admin, 'PUT', `${ADMIN}/send_server_notice/t1`, { user_id: alice.userId, content: { msgtype: 'm.text', body: 'Done' } });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const again = await call(server.baseUrl, admin, 'PUT', `${ADMIN}/send_server_notice/t1`, { user_id: alice.userId, content: { msgtype: 'm.text', body: 'Done' } });
    assert.equal(again.body.event_id, second.body.event_id);
    const event = await call(server.baseUrl, alice, 'GET', `${V3}/rooms/${enc(roomId)}/event/${enc(String(second.body.event_id))}`);
    assert.equal(event.status, 200, 'the second notice went to the same room');
  });

  test('admins only; local existing users only', async () => {
    assert.equal((await call(server.baseUrl, alice, 'POST', `${ADMIN}/send_server_notice`, { user_id: alice.userId, content: {} })).status, 403);
    assert.equal((await call(server.baseUrl, admin, 'POST', `${ADMIN}/send_server_notice`, { user_id: '@ghost:localhost', content: {} })).status, 404);
    assert.equal((await call(server.baseUrl, admin, 'POST', `${ADMIN}/send_server_notice`, { user_id: '@x:remote.example', content: {} })).status, 400);
    assert.equal((await call(server.baseUrl, admin, 'POST', `${ADMIN}/send_server_notice`, { content: {} })).status, 400);
  });
});

describe('server notices when not configured', () => {
  test('are refused with 400', async () => {
    const server = await startTestServer({ ...TEST_USER_CONFIG });
    try {
      const admin = await registerUser(server.baseUrl, server.config, 'admin', { admin: true });
      const res = await call(server.baseUrl, admin, 'POST', `${ADMIN}/send_server_notice`, { user_id: admin.userId, content: { body: 'x' } });
      assert.equal(res.status, 400);
    } finally {
      await server.close();
    }
  });
});
