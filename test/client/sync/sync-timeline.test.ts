import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import type { TestServer } from '../../helpers/server.js';
import { apiFor, createRoom, send, startSyncServer, sync, type Api, type J } from './helpers.js';

const SYNC = '/_matrix/client/v3/sync';

describe('/sync timelines, long-polls and state', () => {
  let server: TestServer;
  let alice: Api;
  let bob: Api;
  before(async () => {
    server = await startSyncServer();
    alice = await apiFor(server, 'alice');
    bob = await apiFor(server, 'bob');
  });
  after(() => server.close());

  test('an incremental sync carries only the new message, with transaction_id for the sending device', async () => {
    const roomId = await createRoom(alice);
    const first = await sync(alice);
    const txnId = 'my-txn-1';
    const sent = await alice.ok('PUT', `/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, { msgtype: 'm.text', body: 'x' });
    const next: J = await sync(alice, { since: first.next_batch });
    assertMatchesSpec('client-server', 'get', SYNC, 200, next);
    const events = next.rooms.join[roomId].timeline.events;
    assert.deepEqual(events.map((e: J) => e.event_id), [sent.event_id]);
    assert.equal(events[0].unsigned.transaction_id, txnId);
    assert.equal(next.rooms.join[roomId].timeline.limited, false);
    assert.deepEqual(next.rooms.join[roomId].state.events, []);
    // Nothing new: the room is left out.
    const again: J = await sync(alice, { since: next.next_batch });
    assert.equal(again.rooms.join[roomId], undefined);
  });

  test('a long-poll returns as soon as a message is sent, well before its timeout', async () => {
    const roomId = await createRoom(alice);
    const { next_batch } = await sync(alice);
    const started = Date.now();
    const poll = sync(alice, { since: next_batch, timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 150));
    const eventId = await send(alice, roomId, 'wake up');
    const body: J = await poll;
    const took = Date.now() - started;
    assert.ok(took < 5_000, `long-poll took ${took} ms`);
    assert.deepEqual(body.rooms.join[roomId].timeline.events.map((e: J) => e.event_id), [eventId]);
  });

  test('a long-poll with nothing new times out with an empty answer', async () => {
    const { next_batch } = await sync(alice);
    const started = Date.now();
    const body: J = await sync(alice, { since: next_batch, timeout: 300 });
    assert.ok(Date.now() - started >= 250);
    assert.deepEqual(body.rooms.join, {});
    assertMatchesSpec('client-server', 'get', SYNC, 200, body);
  });

  test('a limited timeline gives a prev_batch usable with /messages and a state delta', async () => {
    const roomId = await createRoom(alice);
    const { next_batch } = await sync(alice);
    await alice.ok('PUT', `/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.topic/`, { topic: 'new topic' });
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) sent.push(await send(alice, roomId, `m${i}`));
    const body: J = await sync(alice, { since: next_batch, filter: JSON.stringify({ room: { timeline: { limit: 3 } } }) });
    const room = body.rooms.join[roomId];
    assert.equal(room.timeline.limited, true);
    assert.deepEqual(room.timeline.events.map((e: J) => e.event_id), sent.slice(3));
    // The topic changed between since and the timeline start: it is in the state delta.
    const topic = room.state.events.find((e: J) => e.type === 'm.room.topic');
    assert.equal(topic?.content.topic, 'new topic');
    const page = await alice.ok('GET', `/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=3&from=${encodeURIComponent(room.timeline.prev_batch)}`);
    assert.deepEqual((page.chunk as J[]).map((e) => e.event_id), sent.slice(0, 3).reverse());
  });

  test('invites show in rooms.invite with stripped state, joins give a full section, leaves rooms.leave', async () => {
    const roomId = await createRoom(alice, { name: 'Invite room' });
    const bobStart: J = await sync(bob);
    const poll = sync(bob, { since: bobStart.next_batch, timeout: 10_000 });
    await alice.ok('POST', `/v3/rooms/${encodeURIComponent(roomId)}/invite`, { user_id: bob.user.userId });
    const invited: J = await poll;
    assertMatchesSpec('client-server', 'get', SYNC, 200, invited);
    const inv = invited.rooms.invite[roomId];
    assert.ok(inv, 'room in rooms.invite');
    const types = inv.invite_state.events.map((e: J) => e.type);
    assert.ok(types.includes('m.room.create') && types.includes('m.room.name'));
    const own = inv.invite_state.events.find((e: J) => e.type === 'm.room.member' && e.state_key === bob.user.userId);
    assert.equal(own.content.membership, 'invite');
    assert.equal(own.sender, alice.user.userId);

    await bob.ok('POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    const joined: J = await sync(bob, { since: invited.next_batch });
    const j = joined.rooms.join[roomId];
    assert.ok(j, 'room in rooms.join after joining');
    const stateTypes = [...j.state.events, ...j.timeline.events].map((e: J) => e.type);
    assert.ok(stateTypes.includes('m.room.create'), 'a newly joined room gets its full state');
    assert.equal(j.summary['m.joined_member_count'], 2);

    await send(alice, roomId, 'before bob leaves');
    await bob.ok('POST', `/v3/rooms/${encodeURIComponent(roomId)}/leave`, {});
    await send(alice, roomId, 'after bob left');
    const left: J = await sync(bob, { since: joined.next_batch });
    assertMatchesSpec('client-server', 'get', SYNC, 200, left);
    assert.equal(left.rooms.join[roomId], undefined);
    const l = left.rooms.leave[roomId];
    assert.ok(l, 'room in rooms.leave');
    const bodies = l.timeline.events.filter((e: J) => e.type === 'm.room.message').map((e: J) => e.content.body);
    assert.deepEqual(bodies, ['before bob leaves']);
    assert.equal(l.timeline.events.at(-1).content.membership, 'leave');
    // include_leave brings it back in an initial sync.
    const initialWithLeave: J = await sync(bob, { filter: JSON.stringify({ room: { include_leave: true } }) });
    assert.ok(initialWithLeave.rooms.leave[roomId]);
    const initialNoLeave: J = await sync(bob);
    assert.equal(initialNoLeave.rooms.leave[roomId], undefined);
  });

  test('lazy loading sends only the members of timeline senders', async () => {
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    const carol = await apiFor(server, 'carol');
    await bob.ok('POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    await carol.ok('POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    for (let i = 0; i < 3; i++) await send(carol, roomId, `c${i}`);
    const filter = JSON.stringify({ room: { timeline: { limit: 3 }, state: { lazy_load_members: true } } });
    const body: J = await sync(alice, { filter });
    const room = body.rooms.join[roomId];
    const members = room.state.events.filter((e: J) => e.type === 'm.room.member').map((e: J) => e.state_key).sort();
    assert.deepEqual(members, [alice.user.userId, carol.user.userId].sort());
    assert.equal(room.summary['m.joined_member_count'], 3);
    // Without lazy loading every member is there.
    const full: J = await sync(alice, { filter: JSON.stringify({ room: { timeline: { limit: 3 } } }) });
    const all = full.rooms.join[roomId].state.events.filter((e: J) => e.type === 'm.room.member');
    assert.equal(all.length, 3);
  });

  test('filters: stored filter ids, timeline types, room lists, use_state_after', async () => {
    const roomA = await createRoom(alice);
    const roomB = await createRoom(alice);
    await send(alice, roomA, 'in A');
    const created = await alice.ok('POST', `/v3/user/${encodeURIComponent(alice.user.userId)}/filter`, {
      room: { rooms: [roomA], timeline: { types: ['m.room.message'] } },
    });
    assert.equal(typeof created.filter_id, 'string');
    const body: J = await sync(alice, { filter: String(created.filter_id) });
    assert.deepEqual(Object.keys(body.rooms.join), [roomA]);
    assert.ok(body.rooms.join[roomA].timeline.events.every((e: J) => e.type === 'm.room.message'));
    assert.equal(body.rooms.join[roomB], undefined);

    const after: J = await sync(alice, { use_state_after: true, filter: JSON.stringify({ room: { rooms: [roomB] } }) });
    const rb = after.rooms.join[roomB];
    assert.ok(rb.state_after && rb.state === undefined);
    assert.ok(rb.state_after.events.some((e: J) => e.type === 'm.room.create'));

    const bad = await alice.call('GET', `/v3/sync?filter=${encodeURIComponent('{"room": {"timeline": {"limit": "x"}}}')}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errcode, 'M_BAD_JSON');
    const unknown = await alice.call('GET', '/v3/sync?filter=9999');
    assert.equal(unknown.status, 400);
    const badToken = await alice.call('GET', '/v3/sync?since=nonsense');
    assert.equal(badToken.body.errcode, 'M_INVALID_PARAM');
  });

  test('knocks show in rooms.knock; a ban moves the room to rooms.leave', async () => {
    const roomId = await createRoom(alice, { name: 'Knock room' });
    await alice.ok('PUT', `/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.join_rules/`, { join_rule: 'knock' });
    const carol = await apiFor(server, 'carol-knock');
    const start: J = await sync(carol);
    await carol.ok('POST', `/v3/knock/${encodeURIComponent(roomId)}`, { reason: 'let me in' });
    const knocked: J = await sync(carol, { since: start.next_batch });
    assertMatchesSpec('client-server', 'get', SYNC, 200, knocked);
    const k = knocked.rooms.knock[roomId];
    assert.ok(k, 'room in rooms.knock');
    const own = k.knock_state.events.find((e: J) => e.type === 'm.room.member' && e.state_key === carol.user.userId);
    assert.equal(own.content.membership, 'knock');
    assert.ok(k.knock_state.events.some((e: J) => e.type === 'm.room.name'));

    await alice.ok('POST', `/v3/rooms/${encodeURIComponent(roomId)}/invite`, { user_id: carol.user.userId });
    await carol.ok('POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    const joined: J = await sync(carol, { since: knocked.next_batch });
    assert.ok(joined.rooms.join[roomId]);
    await alice.ok('POST', `/v3/rooms/${encodeURIComponent(roomId)}/ban`, { user_id: carol.user.userId, reason: 'bye' });
    const banned: J = await sync(carol, { since: joined.next_batch });
    const l = banned.rooms.leave[roomId];
    assert.ok(l, 'room in rooms.leave after a ban');
    assert.equal(l.timeline.events.at(-1).content.membership, 'ban');
  });

  test('full_state resends the state of every joined room', async () => {
    const roomId = await createRoom(alice);
    const { next_batch } = await sync(alice);
    const body: J = await sync(alice, { since: next_batch, full_state: true });
    const room = body.rooms.join[roomId];
    assert.ok(room);
    assert.ok([...room.state.events, ...room.timeline.events].some((e: J) => e.type === 'm.room.create'));
  });

  test('sync without a token is 401 M_MISSING_TOKEN', async () => {
    const res = await fetch(`${server.baseUrl}/_matrix/client/v3/sync`);
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as J).errcode, 'M_MISSING_TOKEN');
  });
});
