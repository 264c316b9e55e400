import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import type { TestServer } from '../../helpers/server.js';
import { apiFor, createRoom, startSyncServer, sync, type Api, type J } from '../../client/sync/helpers.js';

const enc = encodeURIComponent;

describe('account data, tags and filters over HTTP', () => {
  let server: TestServer;
  let alice: Api;
  let bob: Api;
  before(async () => {
    server = await startSyncServer();
    alice = await apiFor(server, 'alice');
    bob = await apiFor(server, 'bob');
  });
  after(() => server.close());

  test('global account data: put, get, sync (initial and incremental), long-poll wake', async () => {
    const me = enc(alice.user.userId);
    const missing = await alice.call('GET', `/v3/user/${me}/account_data/org.example.x`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errcode, 'M_NOT_FOUND');
    const start: J = await sync(alice);
    const poll = sync(alice, { since: start.next_batch, timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    const put = await alice.ok('PUT', `/v3/user/${me}/account_data/org.example.x`, { a: 1 });
    assertMatchesSpec('client-server', 'put', '/_matrix/client/v3/user/{userId}/account_data/{type}', 200, put);
    const woke: J = await poll;
    assert.deepEqual(woke.account_data.events, [{ type: 'org.example.x', content: { a: 1 } }]);
    const got = await alice.ok('GET', `/v3/user/${me}/account_data/org.example.x`);
    assert.deepEqual(got, { a: 1 });
    const initial: J = await sync(alice);
    assert.ok(initial.account_data.events.some((e: J) => e.type === 'org.example.x'));
    const filtered: J = await sync(alice, { filter: JSON.stringify({ account_data: { not_types: ['org.example.*'] } }) });
    assert.ok(!filtered.account_data.events.some((e: J) => e.type === 'org.example.x'));
  });

  test('account data errors: other users, server-managed types, bad room ids, non-objects', async () => {
    const me = enc(alice.user.userId);
    const other = await bob.call('PUT', `/v3/user/${me}/account_data/x`, {});
    assert.equal(other.status, 403);
    const otherGet = await bob.call('GET', `/v3/user/${me}/account_data/x`);
    assert.equal(otherGet.status, 403);
    for (const type of ['m.fully_read', 'm.push_rules']) {
      const r = await alice.call('PUT', `/v3/user/${me}/account_data/${type}`, {});
      assert.equal(r.status, 405);
      assert.equal(r.body.errcode, 'M_BAD_JSON');
    }
    const roomFully = await alice.call('PUT', `/v3/user/${me}/rooms/${enc('!r:localhost')}/account_data/m.fully_read`, { event_id: '$x' });
    assert.equal(roomFully.status, 405);
    const badRoom = await alice.call('PUT', `/v3/user/${me}/rooms/notaroom/account_data/x`, {});
    assert.equal(badRoom.status, 400);
    assert.equal(badRoom.body.errcode, 'M_INVALID_PARAM');
    const arr = await alice.call('PUT', `/v3/user/${me}/account_data/x`, [1]);
    assert.equal(arr.status, 400);
  });

  test('room account data and tags appear in the room section', async () => {
    const me = enc(alice.user.userId);
    const roomId = await createRoom(alice);
    const start: J = await sync(alice);
    await alice.ok('PUT', `/v3/user/${me}/rooms/${enc(roomId)}/account_data/org.example.r`, { b: 2 });
    const tagPut = await alice.ok('PUT', `/v3/user/${me}/rooms/${enc(roomId)}/tags/m.favourite`, { order: 0.5 });
    assertMatchesSpec('client-server', 'put', '/_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}', 200, tagPut);
    await alice.ok('PUT', `/v3/user/${me}/rooms/${enc(roomId)}/tags/u.work`, {});
    const tags = await alice.ok('GET', `/v3/user/${me}/rooms/${enc(roomId)}/tags`);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/user/{userId}/rooms/{roomId}/tags', 200, tags);
    assert.deepEqual(tags, { tags: { 'm.favourite': { order: 0.5 }, 'u.work': {} } });
    const body: J = await sync(alice, { since: start.next_batch });
    const events = body.rooms.join[roomId].account_data.events;
    assert.deepEqual(events.find((e: J) => e.type === 'org.example.r').content, { b: 2 });
    assert.deepEqual(events.find((e: J) => e.type === 'm.tag').content, { tags: { 'm.favourite': { order: 0.5 }, 'u.work': {} } });
    const del = await alice.ok('DELETE', `/v3/user/${me}/rooms/${enc(roomId)}/tags/u.work`);
    assertMatchesSpec('client-server', 'delete', '/_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}', 200, del);
    assert.deepEqual(await alice.ok('GET', `/v3/user/${me}/rooms/${enc(roomId)}/tags`), { tags: { 'm.favourite': { order: 0.5 } } });
    const got = await alice.ok('GET', `/v3/user/${me}/rooms/${enc(roomId)}/account_data/org.example.r`);
    assert.deepEqual(got, { b: 2 });
    const badOrder = await alice.call('PUT', `/v3/user/${me}/rooms/${enc(roomId)}/tags/x`, { order: 'first' });
    assert.equal(badOrder.status, 400);
  });

  test('filters: create, get, other users, unknown ids, invalid filters', async () => {
    const me = enc(alice.user.userId);
    const filter = { room: { timeline: { limit: 7 } }, presence: { not_types: ['*'] } };
    const created = await alice.ok('POST', `/v3/user/${me}/filter`, filter);
    assertMatchesSpec('client-server', 'post', '/_matrix/client/v3/user/{userId}/filter', 200, created);
    const got = await alice.ok('GET', `/v3/user/${me}/filter/${created.filter_id}`);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/user/{userId}/filter/{filterId}', 200, got);
    assert.deepEqual(got, filter);
    assert.equal((await bob.call('GET', `/v3/user/${me}/filter/${created.filter_id}`)).status, 403);
    assert.equal((await bob.call('POST', `/v3/user/${me}/filter`, {})).status, 403);
    const unknown = await alice.call('GET', `/v3/user/${me}/filter/12345`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.errcode, 'M_NOT_FOUND');
    const invalid = await alice.call('POST', `/v3/user/${me}/filter`, { room: { timeline: { limit: -1 } } });
    assert.equal(invalid.status, 400);
  });
});
