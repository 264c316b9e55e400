import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { enc, startReadTestServer, type Json, type ReadTestServer, type TestUser } from '../rooms/read/helpers.js';

// POST /v3/search through the real server: matches, order, filter, context, state, groups, paging, and
// history visibility (nobody finds what they could not read).

const SEARCH = '/_matrix/client/v3/search';

function roomEvents(body: Json): Json {
  return (body.search_categories as Json).room_events as Json;
}
function resultIds(body: Json): string[] {
  return (roomEvents(body).results as Json[]).map((r) => (r.result as Json).event_id as string);
}

describe('/search', () => {
  let s: ReadTestServer;
  let alice: TestUser;
  let bob: TestUser;
  let roomId: string;
  let ids: string[] = [];

  before(async () => {
    s = await startReadTestServer();
    alice = await s.user('alice');
    bob = await s.user('bob');
    roomId = await s.createRoom(alice, { preset: 'public_chat', name: 'Kitchen', topic: 'recipes for pancakes' });
    await s.ok(bob, 'POST', `/v3/join/${enc(roomId)}`, {});
    ids = [
      await s.send(alice, roomId, 'pancakes need flour and eggs'),
      await s.send(bob, roomId, 'I prefer waffles'),
      await s.send(bob, roomId, 'pancakes pancakes pancakes'),
    ];
  });
  after(() => s.close());

  const search = (as: TestUser, roomEventsBody: Json, nextBatch?: string) =>
    s.call(as, 'POST', `/v3/search${nextBatch !== undefined ? `?next_batch=${enc(nextBatch)}` : ''}`, { search_categories: { room_events: roomEventsBody } });

  test('finds messages by word, newest first with order_by recent, with highlights and count', async () => {
    const res = await search(alice, { search_term: 'pancakes', order_by: 'recent', keys: ['content.body'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertMatchesSpec('client-server', 'post', SEARCH, 200, res.body);
    assert.deepEqual(resultIds(res.body), [ids[2], ids[0]]);
    assert.equal(roomEvents(res.body).count, 2);
    assert.ok((roomEvents(res.body).highlights as string[]).includes('pancakes'));
  });

  test('rank order, name and topic keys, filters', async () => {
    const ranked = await search(alice, { search_term: 'pancakes' });
    assertMatchesSpec('client-server', 'post', SEARCH, 200, ranked.body);
    const rankedIds = resultIds(ranked.body);
    assert.equal(rankedIds.length, 3, 'two bodies and the topic');
    const ranks = (roomEvents(ranked.body).results as Json[]).map((r) => r.rank as number);
    assert.deepEqual([...ranks].sort((a, b) => b - a), ranks, 'best first');

    const topic = await search(alice, { search_term: 'recipes', keys: ['content.topic'] });
    assert.equal(((roomEvents(topic.body).results as Json[])[0]?.result as Json).type, 'm.room.topic');
    const name = await search(alice, { search_term: 'kitchen', keys: ['content.name'] });
    assert.equal(resultIds(name.body).length, 1);

    const bobOnly = await search(alice, { search_term: 'pancakes', filter: { senders: [bob.userId] } });
    assert.deepEqual(resultIds(bobOnly.body), [ids[2]]);
    const otherRoom = await search(alice, { search_term: 'pancakes', filter: { rooms: ['!elsewhere:localhost'] } });
    assert.deepEqual(resultIds(otherRoom.body), []);
  });

  test('event_context with profiles, include_state, groupings', async () => {
    const res = await search(alice, {
      search_term: 'waffles',
      event_context: { before_limit: 1, after_limit: 1, include_profile: true },
      include_state: true,
      groupings: { group_by: [{ key: 'room_id' }, { key: 'sender' }] },
    });
    assertMatchesSpec('client-server', 'post', SEARCH, 200, res.body);
    const re = roomEvents(res.body);
    const [first] = re.results as Json[];
    assert.ok(first);
    const context = first.context as Json;
    assert.deepEqual((context.events_before as Json[]).map((e) => e.event_id), [ids[0]]);
    assert.deepEqual((context.events_after as Json[]).map((e) => e.event_id), [ids[2]]);
    assert.ok(Object.keys(context.profile_info as Json).includes(bob.userId));
    assert.ok(Array.isArray((re.state as Json)[roomId]));
    assert.deepEqual(((re.groups as Json).room_id as Json)[roomId], { results: [ids[1]], order: 1 });
    assert.ok(((re.groups as Json).sender as Json)[bob.userId]);
  });

  test('next_batch pages through results', async () => {
    const page1 = await search(alice, { search_term: 'pancakes', order_by: 'recent', keys: ['content.body'], filter: { limit: 1 } });
    assert.deepEqual(resultIds(page1.body), [ids[2]]);
    const next = roomEvents(page1.body).next_batch as string;
    assert.equal(typeof next, 'string');
    const page2 = await search(alice, { search_term: 'pancakes', order_by: 'recent', keys: ['content.body'], filter: { limit: 1 } }, next);
    assert.deepEqual(resultIds(page2.body), [ids[0]]);
    const rank1 = await search(alice, { search_term: 'pancakes', keys: ['content.body'], filter: { limit: 1 } });
    const rank2 = await search(alice, { search_term: 'pancakes', keys: ['content.body'], filter: { limit: 1 } }, roomEvents(rank1.body).next_batch as string);
    assert.equal(new Set([...resultIds(rank1.body), ...resultIds(rank2.body)]).size, 2);
  });

  test('history visibility: a later joiner does not find messages from before they joined; outsiders find nothing', async () => {
    const carol = await s.user('carol');
    const dave = await s.user('dave');
    const privateRoom = await s.createRoom(alice, { preset: 'private_chat' });
    await s.ok(alice, 'PUT', `/v3/rooms/${enc(privateRoom)}/state/m.room.history_visibility/`, { history_visibility: 'joined' });
    await s.send(alice, privateRoom, 'secret plans before carol');
    await s.ok(alice, 'POST', `/v3/rooms/${enc(privateRoom)}/invite`, { user_id: carol.userId });
    await s.ok(carol, 'POST', `/v3/join/${enc(privateRoom)}`, {});
    const visible = await s.send(alice, privateRoom, 'secret plans after carol');

    const aliceRes = await search(alice, { search_term: 'secret plans', order_by: 'recent' });
    assert.equal(resultIds(aliceRes.body).length, 2);
    const carolRes = await search(carol, { search_term: 'secret plans', order_by: 'recent' });
    assertMatchesSpec('client-server', 'post', SEARCH, 200, carolRes.body);
    assert.deepEqual(resultIds(carolRes.body), [visible]);
    const daveRes = await search(dave, { search_term: 'secret' });
    assert.deepEqual(resultIds(daveRes.body), []);
  });

  test('redacted messages are not found; bad requests are refused', async () => {
    const gone = await s.send(alice, roomId, 'ephemeral zeppelin');
    await s.ok(alice, 'PUT', `/v3/rooms/${enc(roomId)}/redact/${enc(gone)}/r1`, {});
    assert.deepEqual(resultIds((await search(alice, { search_term: 'zeppelin' })).body), []);

    const missing = await s.call(alice, 'POST', '/v3/search', { search_categories: { room_events: {} } });
    assert.equal(missing.status, 400);
    const badKey = await search(alice, { search_term: 'x', keys: ['content.nope'] });
    assert.equal(badKey.status, 400);
    const badBatch = await search(alice, { search_term: 'x' }, 'garbage');
    assert.equal(badBatch.body.errcode, 'M_INVALID_PARAM');
    assert.equal((await s.call(null, 'POST', '/v3/search', { search_categories: {} })).status, 401);
  });
});
