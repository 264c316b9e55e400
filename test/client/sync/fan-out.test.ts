import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../../helpers/server.js';
import { apiFor, createRoom, send, startSyncServer, sync, type Api, type J } from './helpers.js';

// One message wakes the long-polls of every member of a room at once, and the woken syncs share their room
// reads (src/sync/shared-reads.ts). Each member must still get exactly what is theirs: their own filter, their
// ignore list, their unread counts, transaction_id only on the sender's device, lazy-loaded members per device.

// Presence is filtered out: members coming online would end the long-polls before the message.
const LAZY = JSON.stringify({ room: { timeline: { limit: 1 }, state: { lazy_load_members: true } }, presence: { types: [] } });
const PLAIN = JSON.stringify({ room: { timeline: { limit: 5 } }, presence: { types: [] } });

describe('/sync fan-out: one message to many waiting members', () => {
  let server: TestServer;
  let eve: Api;
  let members: Api[];
  before(async () => {
    server = await startSyncServer();
    eve = await apiFor(server, 'eve');
    members = [];
    for (const name of ['bob', 'carol', 'dave', 'frank']) members.push(await apiFor(server, name));
  });
  after(() => server.close());

  test('every woken member gets the message with their own filter, counts, ignores and lazy members', async () => {
    const [bob, carol, dave, frank] = members as [Api, Api, Api, Api];
    const roomId = await createRoom(eve, { preset: 'public_chat' });
    for (const m of [carol, dave, frank]) await m.ok('POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    // Frank's device is sent eve's member event now, with the state of her first message.
    await send(eve, roomId, 'warm-up');
    const frankFirst: J = await sync(frank, { filter: LAZY });
    assert.ok(frankFirst.rooms.join[roomId].state.events.some((e: J) => e.state_key === eve.user.userId));
    // Bob joins after it: his first sync (timeline: his own join) has never shown him eve's member event.
    await bob.ok('POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    // Carol ignores eve: eve's message must not wake her or show in her timeline.
    await carol.ok('PUT', `/v3/user/${encodeURIComponent(carol.user.userId)}/account_data/m.ignored_user_list`, {
      ignored_users: { [eve.user.userId]: {} },
    });
    const filters = new Map<Api, string>([
      [eve, LAZY],
      [bob, LAZY],
      [carol, LAZY],
      [dave, PLAIN],
      [frank, LAZY],
    ]);
    const tokens = new Map<Api, string>();
    for (const [api, filter] of filters) {
      const body: J = api === frank ? await sync(frank, { filter, since: frankFirst.next_batch }) : await sync(api, { filter });
      tokens.set(api, String(body.next_batch));
    }
    const polls = new Map<Api, Promise<J>>();
    for (const [api, filter] of filters) {
      polls.set(api, sync(api, { filter, since: tokens.get(api), timeout: api === carol ? 1_500 : 20_000 }));
    }
    await new Promise((r) => setTimeout(r, 300));
    const txnId = 'fan-out-1';
    const sent = await eve.ok('PUT', `/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, { msgtype: 'm.text', body: 'to all' });
    const bodies = new Map<Api, J>();
    for (const [api, p] of polls) bodies.set(api, await p);

    for (const api of [eve, bob, dave, frank]) {
      const room = bodies.get(api).rooms.join[roomId];
      assert.ok(room, `${api.user.userId} was woken with the room: ${JSON.stringify(bodies.get(api))}`);
      assert.deepEqual(room.timeline.events.map((e: J) => e.event_id), [sent.event_id]);
      assert.equal(room.timeline.limited, false);
      // Only the sending device learns its transaction id.
      assert.equal(room.timeline.events[0].unsigned.transaction_id, api === eve ? txnId : undefined);
      assert.ok(typeof room.timeline.events[0].unsigned.age === 'number');
    }
    // Lazy loading: bob gets the sender's member event; dave (no lazy loading, unbroken timeline) no state.
    const bobState = bodies.get(bob).rooms.join[roomId].state.events;
    assert.deepEqual(bobState.map((e: J) => [e.type, e.state_key]), [['m.room.member', eve.user.userId]]);
    assert.deepEqual(bodies.get(dave).rooms.join[roomId].state.events, []);
    // Frank's device was sent eve's member event before (no redundant members).
    assert.deepEqual(bodies.get(frank).rooms.join[roomId].state.events, []);
    // Unread counts are per member: the message notifies everybody but its sender.
    assert.equal(bodies.get(bob).rooms.join[roomId].unread_notifications.notification_count, 1);
    assert.equal(bodies.get(dave).rooms.join[roomId].unread_notifications.notification_count, 2, 'the warm-up and this one');
    assert.equal(bodies.get(eve).rooms.join[roomId].unread_notifications.notification_count, 0);
    // Carol ignores eve: her long-poll ran to its timeout and shows nothing of the message.
    const carolRoom = bodies.get(carol).rooms.join[roomId];
    assert.ok(carolRoom === undefined || carolRoom.timeline.events.every((e: J) => e.event_id !== sent.event_id));
  });

  test('a second message, and an edit of it, reach the woken members in order with the edit bundled afterwards', async () => {
    const [bob, , dave] = members as [Api, Api, Api, Api];
    const roomId = await createRoom(eve, { preset: 'public_chat' });
    for (const m of [bob, dave]) await m.ok('POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    const start = new Map<Api, string>();
    for (const api of [bob, dave]) start.set(api, String((await sync(api, { filter: PLAIN })).next_batch));
    const first = await send(eve, roomId, 'original');
    const woken: J[] = await Promise.all([bob, dave].map((api) => sync(api, { filter: PLAIN, since: start.get(api), timeout: 20_000 })));
    for (const body of woken) assert.deepEqual(body.rooms.join[roomId]?.timeline.events.map((e: J) => e.event_id), [first], JSON.stringify(body));
    const edit = await eve.ok('PUT', `/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/edit-1`, {
      msgtype: 'm.text',
      body: '* edited',
      'm.new_content': { msgtype: 'm.text', body: 'edited' },
      'm.relates_to': { rel_type: 'm.replace', event_id: first },
    });
    // From the start token both see the original with the edit bundled, and the edit itself.
    const again: J[] = await Promise.all([bob, dave].map((api) => sync(api, { filter: PLAIN, since: start.get(api) })));
    for (const body of again) {
      const events = body.rooms.join[roomId].timeline.events;
      assert.deepEqual(events.map((e: J) => e.event_id), [first, edit.event_id]);
      assert.equal(events[0].unsigned['m.relations']['m.replace'].event_id, edit.event_id);
    }
  });

  test("woken together, each member gets their own key counts, unread counts past their own receipt, and their own new rooms", async () => {
    // These per-user reads are answered for all woken members by one statement each (src/storage/knex/coalesced-reads.ts).
    // Carol ignores eve since the first test: frank stands in for her.
    const [bob, , dave, carol] = members as [Api, Api, Api, Api];
    const roomId = await createRoom(eve, { preset: 'public_chat' });
    for (const m of [bob, carol, dave]) await m.ok('POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`signed_curve25519:k${i}`, { key: `key${i}` }]));
    await bob.ok('POST', '/v3/keys/upload', { one_time_keys: keys(2) });
    await carol.ok('POST', '/v3/keys/upload', { one_time_keys: keys(5) });
    const first = await send(eve, roomId, 'one');
    const second = await send(eve, roomId, 'two');
    // Bob has read up to the second message, carol up to the first, dave nothing.
    await bob.ok('POST', `/v3/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(second)}`, {});
    await carol.ok('POST', `/v3/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(first)}`, {});
    const tokens = new Map<Api, string>();
    for (const api of [bob, carol, dave]) tokens.set(api, String((await sync(api, { filter: PLAIN })).next_batch));
    // Dave joins a second room after his token: only his woken sync has it, as a newly joined room.
    const other = await createRoom(eve, { preset: 'public_chat' });
    await dave.ok('POST', `/v3/join/${encodeURIComponent(other)}`, {});
    const daveAfterJoin = String((await sync(dave, { filter: PLAIN, since: tokens.get(dave) })).next_batch);
    const polls = [bob, carol, dave].map((api) => sync(api, { filter: PLAIN, since: tokens.get(api), timeout: 20_000 }));
    // A second long-poll of dave from before his join: it must show the new room.
    const daveOld = sync(dave, { filter: PLAIN, since: tokens.get(dave), timeout: 20_000 });
    const davePoll = sync(dave, { filter: PLAIN, since: daveAfterJoin, timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    const third = await send(eve, roomId, 'three');
    const [b, c, d] = (await Promise.all(polls)) as [J, J, J];
    const [dOld, dNew] = (await Promise.all([daveOld, davePoll])) as [J, J];
    for (const body of [b, c, dNew]) assert.deepEqual(body.rooms.join[roomId].timeline.events.map((e: J) => e.event_id), [third]);
    assert.equal(b.rooms.join[roomId].unread_notifications.notification_count, 1);
    assert.equal(c.rooms.join[roomId].unread_notifications.notification_count, 2);
    assert.equal(dNew.rooms.join[roomId].unread_notifications.notification_count, 3);
    assert.deepEqual(b.device_one_time_keys_count, { signed_curve25519: 2 });
    assert.deepEqual(c.device_one_time_keys_count, { signed_curve25519: 5 });
    assert.deepEqual(dNew.device_one_time_keys_count, { signed_curve25519: 0 });
    // Dave's long-polls from before his join return at once with the new room; the one after it does not show it.
    for (const body of [d, dOld]) assert.ok(body.rooms.join[other], JSON.stringify(body.rooms.join));
    assert.equal(dNew.rooms.join[other], undefined);
  });
});
