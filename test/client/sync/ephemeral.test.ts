import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import type { TestServer } from '../../helpers/server.js';
import { apiFor, createRoom, send, startSyncServer, sync, type Api, type J } from './helpers.js';

const enc = encodeURIComponent;

describe('typing, receipts, read markers and presence', () => {
  let server: TestServer;
  let alice: Api;
  let bob: Api;
  let roomId: string;
  before(async () => {
    server = await startSyncServer();
    alice = await apiFor(server, 'alice');
    bob = await apiFor(server, 'bob');
    roomId = await createRoom(alice, { preset: 'public_chat' });
    await bob.ok('POST', `/v3/join/${enc(roomId)}`, {});
  });
  after(() => server.close());

  test('typing wakes the other member, shows in ephemeral, and expires', async () => {
    // The route's first request compiles its body schema (half a second on a slow machine, longer than the
    // typing timeout below): do that before timing anything.
    await alice.ok('PUT', `/v3/rooms/${enc(roomId)}/typing/${enc(alice.user.userId)}`, { typing: false });
    const { next_batch } = await sync(bob);
    const poll = sync(bob, { since: next_batch, timeout: 10_000 });
    const put = await alice.ok('PUT', `/v3/rooms/${enc(roomId)}/typing/${enc(alice.user.userId)}`, { typing: true, timeout: 3_000 });
    assertMatchesSpec('client-server', 'put', '/_matrix/client/v3/rooms/{roomId}/typing/{userId}', 200, put);
    const body: J = await poll;
    const typing = body.rooms.join[roomId].ephemeral.events.find((e: J) => e.type === 'm.typing');
    assert.deepEqual(typing.content.user_ids, [alice.user.userId]);
    // The timeout ends it: the next long-poll wakes with an empty list.
    const stopped: J = await sync(bob, { since: body.next_batch, timeout: 10_000 });
    const t2 = stopped.rooms.join[roomId].ephemeral.events.find((e: J) => e.type === 'm.typing');
    assert.deepEqual(t2.content.user_ids, []);
  });

  test('typing for someone else or in a room one is not in is 403', async () => {
    const other = await alice.call('PUT', `/v3/rooms/${enc(roomId)}/typing/${enc(bob.user.userId)}`, { typing: true });
    assert.equal(other.status, 403);
    const mine = await createRoom(alice);
    const notIn = await bob.call('PUT', `/v3/rooms/${enc(mine)}/typing/${enc(bob.user.userId)}`, { typing: true });
    assert.equal(notIn.status, 403);
    assert.equal(notIn.body.errcode, 'M_FORBIDDEN');
    const bad = await alice.call('PUT', `/v3/rooms/${enc(roomId)}/typing/${enc(alice.user.userId)}`, { timeout: 5 });
    assert.equal(bad.status, 400);
  });

  test('read receipts reach other members; private ones only their owner', async () => {
    const eventId = await send(alice, roomId, 'read me');
    const bobStart: J = await sync(bob);
    const aliceStart: J = await sync(alice);
    const r = await bob.ok('POST', `/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {});
    assertMatchesSpec('client-server', 'post', '/_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}', 200, r);
    const aliceSees: J = await sync(alice, { since: aliceStart.next_batch });
    const receipt = aliceSees.rooms.join[roomId].ephemeral.events.find((e: J) => e.type === 'm.receipt');
    assert.equal(typeof receipt.content[eventId]['m.read'][bob.user.userId].ts, 'number');

    const eventId2 = await send(alice, roomId, 'private');
    const mid: J = await sync(alice);
    await bob.ok('POST', `/v3/rooms/${enc(roomId)}/receipt/m.read.private/${enc(eventId2)}`, {});
    const aliceAfter: J = await sync(alice, { since: mid.next_batch });
    const aliceReceipts = aliceAfter.rooms.join[roomId]?.ephemeral.events.filter((e: J) => e.type === 'm.receipt') ?? [];
    assert.ok(aliceReceipts.every((e: J) => !e.content[eventId2]), 'alice does not see bob private receipt');
    const bobAfter: J = await sync(bob, { since: bobStart.next_batch });
    const bobReceipt = bobAfter.rooms.join[roomId].ephemeral.events.find((e: J) => e.type === 'm.receipt');
    assert.ok(bobReceipt.content[eventId2]['m.read.private'][bob.user.userId]);

    // Threaded receipts carry thread_id.
    await bob.ok('POST', `/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId2)}`, { thread_id: 'main' });
    const full: J = await sync(alice);
    const threaded = full.rooms.join[roomId].ephemeral.events.find((e: J) => e.type === 'm.receipt');
    assert.equal(threaded.content[eventId2]['m.read'][bob.user.userId].thread_id, 'main');
  });

  test('receipt errors: unknown type, unknown event, threaded m.fully_read', async () => {
    const eventId = await send(alice, roomId, 'x');
    const badType = await bob.call('POST', `/v3/rooms/${enc(roomId)}/receipt/m.nope/${enc(eventId)}`, {});
    assert.equal(badType.status, 400);
    const unknownEvent = await bob.call('POST', `/v3/rooms/${enc(roomId)}/receipt/m.read/${enc('$nope')}`, {});
    assert.equal(unknownEvent.status, 404);
    const threadedFully = await bob.call('POST', `/v3/rooms/${enc(roomId)}/receipt/m.fully_read/${enc(eventId)}`, { thread_id: 'main' });
    assert.equal(threadedFully.status, 400);
  });

  test('read markers set m.fully_read room account data and an m.read receipt', async () => {
    const eventId = await send(alice, roomId, 'marker');
    const start: J = await sync(bob);
    const r = await bob.ok('POST', `/v3/rooms/${enc(roomId)}/read_markers`, { 'm.fully_read': eventId, 'm.read': eventId });
    assertMatchesSpec('client-server', 'post', '/_matrix/client/v3/rooms/{roomId}/read_markers', 200, r);
    const body: J = await sync(bob, { since: start.next_batch });
    const room = body.rooms.join[roomId];
    const fullyRead = room.account_data.events.find((e: J) => e.type === 'm.fully_read');
    assert.equal(fullyRead.content.event_id, eventId);
    const receipt = room.ephemeral.events.find((e: J) => e.type === 'm.receipt');
    assert.ok(receipt.content[eventId]['m.read'][bob.user.userId]);
    const direct = await bob.ok('GET', `/v3/user/${enc(bob.user.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`);
    assert.equal(direct.event_id, eventId);
  });

  test('presence: set, read back, and seen in the other member\'s sync', async () => {
    const start: J = await sync(bob, { set_presence: 'offline' });
    const put = await alice.ok('PUT', `/v3/presence/${enc(alice.user.userId)}/status`, { presence: 'unavailable', status_msg: 'lunch' });
    assertMatchesSpec('client-server', 'put', '/_matrix/client/v3/presence/{userId}/status', 200, put);
    const got = await bob.ok('GET', `/v3/presence/${enc(alice.user.userId)}/status`);
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/presence/{userId}/status', 200, got);
    assert.equal(got.presence, 'unavailable');
    assert.equal(got.status_msg, 'lunch');
    const body: J = await sync(bob, { since: start.next_batch, set_presence: 'offline' });
    const ev = body.presence.events.find((e: J) => e.sender === alice.user.userId);
    assert.equal(ev.content.presence, 'unavailable');
    assert.equal(ev.content.status_msg, 'lunch');
    const forbidden = await bob.call('PUT', `/v3/presence/${enc(alice.user.userId)}/status`, { presence: 'online' });
    assert.equal(forbidden.status, 403);
    const badState = await alice.call('PUT', `/v3/presence/${enc(alice.user.userId)}/status`, { presence: 'busy' });
    assert.equal(badState.status, 400);
  });

  test('syncing marks a user online (set_presence) and others see it', async () => {
    const carol = await apiFor(server, 'carol');
    await carol.ok('POST', `/v3/join/${enc(roomId)}`, {});
    await sync(carol, { set_presence: 'online' });
    const got = await alice.ok('GET', `/v3/presence/${enc(carol.user.userId)}/status`);
    assert.equal(got.presence, 'online');
    assert.equal(got.currently_active, true);
    const stranger = await apiFor(server, 'stranger');
    const denied = await stranger.call('GET', `/v3/presence/${enc(carol.user.userId)}/status`);
    assert.equal(denied.status, 403);
  });
});
