import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';

// Ignoring users (m.ignored_user_list): an ignored user's messages vanish from /sync and /messages while state
// events stay, and their invites are not shown.

const V3 = '/_matrix/client/v3';

describe('ignoring users', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let roomId: string;
  const enc = encodeURIComponent;

  async function call(user: RegisteredUser, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Authorization: `Bearer ${user.accessToken}` };
    const res = await fetch(`${server.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  type Ev = { type: string; sender: string; content: Record<string, unknown>; state_key?: string };
  function timeline(sync: Record<string, unknown>, room: string): Ev[] {
    const join = (sync.rooms as { join?: Record<string, { timeline: { events: Ev[] } }> } | undefined)?.join;
    return join?.[room]?.timeline.events ?? [];
  }

  before(async () => {
    server = await startTestServer({ ...TEST_USER_CONFIG });
    alice = await registerUser(server.baseUrl, server.config, 'alice');
    bob = await registerUser(server.baseUrl, server.config, 'bob');
    carol = await registerUser(server.baseUrl, server.config, 'carol');
    roomId = String((await call(alice, 'POST', `${V3}/createRoom`, { preset: 'public_chat' })).body.room_id);
    assert.equal((await call(bob, 'POST', `${V3}/join/${enc(roomId)}`, {})).status, 200);
    assert.equal((await call(carol, 'POST', `${V3}/join/${enc(roomId)}`, {})).status, 200);
  });
  after(() => server.close());

  test("an ignored user's messages vanish from sync and /messages; their state events stay", async () => {
    const ignore = await call(alice, 'PUT', `${V3}/user/${enc(alice.userId)}/account_data/m.ignored_user_list`, {
      ignored_users: { [bob.userId]: {} },
    });
    assert.equal(ignore.status, 200, JSON.stringify(ignore.body));
    const first = await call(alice, 'GET', `${V3}/sync?timeout=0`);
    const since = String(first.body.next_batch);

    await call(bob, 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/b1`, { msgtype: 'm.text', body: 'from bob' });
    const renamed = await call(bob, 'PUT', `${V3}/rooms/${enc(roomId)}/state/m.room.member/${enc(bob.userId)}`, { membership: 'join', displayname: 'B' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    await call(carol, 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/c1`, { msgtype: 'm.text', body: 'from carol' });

    const inc = await call(alice, 'GET', `${V3}/sync?timeout=0&since=${enc(since)}`);
    const events = timeline(inc.body, roomId);
    const bodies = events.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
    assert.deepEqual(bodies, ['from carol']);
    assert.ok(events.some((e) => e.type === 'm.room.member' && e.sender === bob.userId), 'state events from the ignored user stay');

    const initial = await call(alice, 'GET', `${V3}/sync?timeout=0`);
    assert.ok(!timeline(initial.body, roomId).some((e) => e.type === 'm.room.message' && e.sender === bob.userId));

    const msgs = await call(alice, 'GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
    const chunk = msgs.body.chunk as Ev[];
    assert.ok(chunk.some((e) => e.content.body === 'from carol'));
    assert.ok(!chunk.some((e) => e.type === 'm.room.message' && e.sender === bob.userId));

    // Carol, who ignores no one, sees bob's message.
    const carolMsgs = await call(carol, 'GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
    assert.ok((carolMsgs.body.chunk as Ev[]).some((e) => e.content.body === 'from bob'));

    // Un-ignoring brings them back.
    await call(alice, 'PUT', `${V3}/user/${enc(alice.userId)}/account_data/m.ignored_user_list`, { ignored_users: {} });
    const again = await call(alice, 'GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
    assert.ok((again.body.chunk as Ev[]).some((e) => e.content.body === 'from bob'));
  });

  test('invites from ignored users are not shown', async () => {
    await call(carol, 'PUT', `${V3}/user/${enc(carol.userId)}/account_data/m.ignored_user_list`, { ignored_users: { [bob.userId]: {} } });
    const fromBob = String((await call(bob, 'POST', `${V3}/createRoom`, { preset: 'private_chat', invite: [carol.userId] })).body.room_id);
    const fromAlice = String((await call(alice, 'POST', `${V3}/createRoom`, { preset: 'private_chat', invite: [carol.userId] })).body.room_id);
    const sync = await call(carol, 'GET', `${V3}/sync?timeout=0`);
    const invites = (sync.body.rooms as { invite?: Record<string, unknown> }).invite ?? {};
    assert.ok(fromAlice in invites);
    assert.ok(!(fromBob in invites));
  });
});
