import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';

// The user directory and mutual rooms over the real server: who a searcher finds (shared rooms, public rooms),
// display names and avatars, limited, and that changes (joins, leaves, profile edits) show at once.

const V3 = '/_matrix/client/v3';
const V1 = '/_matrix/client/v1';
const SEARCH = '/_matrix/client/v3/user_directory/search';

describe('user directory', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let dave: RegisteredUser;
  const enc = encodeURIComponent;

  before(async () => {
    server = await startTestServer({ ...TEST_USER_CONFIG });
    alice = await registerUser(server.baseUrl, server.config, 'alice');
    bob = await registerUser(server.baseUrl, server.config, 'bob', { displayname: 'Bobby Tables' });
    carol = await registerUser(server.baseUrl, server.config, 'carol', { displayname: 'Carol Public' });
    dave = await registerUser(server.baseUrl, server.config, 'dave', { displayname: 'Dave Hidden' });
  });
  after(() => server.close());

  async function call(user: RegisteredUser | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (user) headers.Authorization = `Bearer ${user.accessToken}`;
    const res = await fetch(`${server.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  async function search(user: RegisteredUser, term: string, limit?: number) {
    const res = await call(user, 'POST', `${V3}/user_directory/search`, { search_term: term, ...(limit !== undefined ? { limit } : {}) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertMatchesSpec('client-server', 'POST', SEARCH, 200, res.body);
    return res.body as { limited: boolean; results: Array<{ user_id: string; display_name?: string; avatar_url?: string }> };
  }
  const ids = (r: { results: Array<{ user_id: string }> }) => r.results.map((x) => x.user_id).sort();

  test('finds a user who shares a private room, by name or id, and forgets them after they leave', async () => {
    assert.deepEqual(ids(await search(alice, 'bobby')), []);
    const room = await call(alice, 'POST', `${V3}/createRoom`, { preset: 'private_chat', invite: [bob.userId] });
    const roomId = String(room.body.room_id);
    assert.equal((await call(bob, 'POST', `${V3}/join/${enc(roomId)}`, {})).status, 200);

    const byName = await search(alice, 'bobby');
    assert.deepEqual(ids(byName), [bob.userId]);
    assert.equal(byName.results[0]?.display_name, 'Bobby Tables');
    assert.equal(byName.limited, false);
    assert.deepEqual(ids(await search(alice, 'BOB')), [bob.userId]);
    assert.deepEqual(ids(await search(alice, 'tables bobby')), [bob.userId]);
    // Dave shares nothing with alice.
    assert.deepEqual(ids(await search(alice, 'dave')), []);

    // Profile changes show immediately.
    const put = await call(bob, 'PUT', `${V3}/profile/${enc(bob.userId)}/avatar_url`, { avatar_url: 'mxc://localhost/bob' });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const withAvatar = await search(alice, 'bobby');
    assert.equal(withAvatar.results[0]?.avatar_url, 'mxc://localhost/bob');

    assert.equal((await call(bob, 'POST', `${V3}/rooms/${enc(roomId)}/leave`, {})).status, 200);
    assert.deepEqual(ids(await search(alice, 'bobby')), []);
  });

  test('finds members of public rooms without sharing one; limited when more match than the limit', async () => {
    const room = await call(carol, 'POST', `${V3}/createRoom`, { preset: 'public_chat' });
    assert.equal(room.status, 200);
    const found = await search(dave, 'carol');
    assert.deepEqual(ids(found), [carol.userId]);

    for (const name of ['zed1', 'zed2', 'zed3']) {
      const u = await registerUser(server.baseUrl, server.config, name);
      assert.equal((await call(u, 'POST', `${V3}/join/${enc(String(room.body.room_id))}`, {})).status, 200);
    }
    const limited = await search(dave, 'zed', 2);
    assert.equal(limited.results.length, 2);
    assert.equal(limited.limited, true);
    const all = await search(dave, 'zed');
    assert.equal(all.results.length, 3);
    assert.equal(all.limited, false);
  });

  test('rejects bad bodies and requires a token', async () => {
    const missing = await call(alice, 'POST', `${V3}/user_directory/search`, {});
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errcode, 'M_MISSING_PARAM');
    const anon = await call(null, 'POST', `${V3}/user_directory/search`, { search_term: 'x' });
    assert.equal(anon.status, 401);
  });

  test('mutual_rooms lists rooms both users joined', async () => {
    const r1 = String((await call(alice, 'POST', `${V3}/createRoom`, { preset: 'public_chat' })).body.room_id);
    const r2 = String((await call(alice, 'POST', `${V3}/createRoom`, { preset: 'public_chat' })).body.room_id);
    await call(alice, 'POST', `${V3}/createRoom`, { preset: 'public_chat' });
    assert.equal((await call(dave, 'POST', `${V3}/join/${enc(r1)}`, {})).status, 200);
    assert.equal((await call(dave, 'POST', `${V3}/join/${enc(r2)}`, {})).status, 200);
    const res = await call(alice, 'GET', `${V1}/mutual_rooms?user_id=${enc(dave.userId)}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertMatchesSpec('client-server', 'GET', '/_matrix/client/v1/mutual_rooms', 200, res.body);
    assert.deepEqual([...(res.body.joined as string[])].sort(), [r1, r2].sort());
    assert.equal(res.body.count, 2);
    const self = await call(alice, 'GET', `${V1}/mutual_rooms?user_id=${enc(alice.userId)}`);
    assert.equal(self.status, 400);
    assert.equal(self.body.errcode, 'M_INVALID_PARAM');
    const none = await call(alice, 'GET', `${V1}/mutual_rooms?user_id=${enc('@nobody:localhost')}`);
    assert.deepEqual(none.body.joined, []);
  });
});
