import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesSpec, assertRequestMatchesSpec } from '../../helpers/spec-schemas.js';
import type { TestServer } from '../../helpers/server.js';
import { apiFor, apiWithToken, createRoom, send, startSyncServer, sync, type Api, type J } from '../sync/helpers.js';
import { startFakeGateway, type FakeGateway } from './fake-gateway.js';

const enc = encodeURIComponent;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pusherBody(url: string, extra: Record<string, unknown> = {}) {
  return {
    kind: 'http',
    app_id: 'org.example.app',
    pushkey: 'bob-key',
    app_display_name: 'Example',
    device_display_name: 'Phone',
    lang: 'en',
    data: { url },
    ...extra,
  };
}

let txn = 0;
async function sendContent(api: Api, roomId: string, content: Record<string, unknown>): Promise<string> {
  const r = await api.ok('PUT', `/v3/rooms/${enc(roomId)}/send/m.room.message/n${++txn}`, content);
  return String(r.event_id);
}

describe('notification counts, /notifications and pushers', () => {
  let server: TestServer;
  let gateway: FakeGateway;
  let alice: Api;
  let bob: Api;
  let roomId: string;
  before(async () => {
    server = await startSyncServer();
    gateway = await startFakeGateway();
    alice = await apiFor(server, 'alice');
    bob = await apiFor(server, 'bob');
    roomId = await createRoom(alice, { preset: 'public_chat', name: 'Chat' });
    await bob.ok('POST', `/v3/join/${enc(roomId)}`, {});
  });
  after(async () => {
    await server.close();
    await gateway.close();
  });

  test('pushers: set, list (spec-shaped), errors', async () => {
    const body = pusherBody(gateway.url);
    assertRequestMatchesSpec('client-server', 'post', '/_matrix/client/v3/pushers/set', body);
    const set = await bob.ok('POST', '/v3/pushers/set', body);
    assertMatchesSpec('client-server', 'post', '/_matrix/client/v3/pushers/set', 200, set);
    const list = await bob.ok('GET', '/v3/pushers');
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/pushers', 200, list);
    assert.equal((list as J).pushers.length, 1);
    assert.equal((list as J).pushers[0].data.url, gateway.url);

    const noUrl = await bob.call('POST', '/v3/pushers/set', pusherBody(gateway.url, { data: {} }));
    assert.equal(noUrl.status, 400);
    const badPath = await bob.call('POST', '/v3/pushers/set', pusherBody('http://127.0.0.1:1/push'));
    assert.equal(badPath.status, 400);
    const badKind = await bob.call('POST', '/v3/pushers/set', pusherBody(gateway.url, { kind: 'carrier-pigeon' }));
    assert.equal(badKind.status, 400);
    const missing = await bob.call('POST', '/v3/pushers/set', { kind: 'http', app_id: 'x' });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errcode, 'M_MISSING_PARAM');
  });

  test('a message notifies the other member once, with counts and priority; none for own messages', async () => {
    const start = gateway.received.length;
    const eventId = await send(alice, roomId, 'hello bob');
    await gateway.waitFor(start + 1);
    const n = gateway.received[start]!.notification;
    assertRequestMatchesSpec('push-gateway', 'post', '/_matrix/push/v1/notify', gateway.received[start]);
    assert.equal(n.event_id, eventId);
    assert.equal(n.room_id, roomId);
    assert.equal(n.type, 'm.room.message');
    assert.equal(n.sender, alice.user.userId);
    assert.equal(n.room_name, 'Chat');
    assert.equal(n.content.body, 'hello bob');
    assert.equal(n.counts.unread, 1);
    // Two members: .m.rule.room_one_to_one plays a sound, so the push is high priority.
    assert.equal(n.prio, 'high');
    assert.equal(n.devices[0].pushkey, 'bob-key');
    assert.equal(n.devices[0].app_id, 'org.example.app');
    assert.equal(n.devices[0].data.url, undefined);
    assert.equal(n.devices[0].tweaks.sound, 'default');

    // Bob's own message is not pushed to him; alice has no pusher.
    await send(bob, roomId, 'my own words');
    await sleep(300);
    assert.equal(gateway.received.length, start + 1);
  });

  test('/sync unread counts rise with messages and mentions and fall after a read receipt', async () => {
    const s0 = await sync(bob);
    const c0 = s0.rooms.join[roomId].unread_notifications;
    assert.deepEqual(c0, { notification_count: 1, highlight_count: 0 });
    const poll = sync(bob, { since: s0.next_batch, timeout: 10_000 });
    await send(alice, roomId, 'second');
    const s1 = await poll;
    assert.deepEqual(s1.rooms.join[roomId].unread_notifications, { notification_count: 2, highlight_count: 0 });

    const mention = await sendContent(alice, roomId, { msgtype: 'm.text', body: 'bob: look', 'm.mentions': { user_ids: [bob.user.userId] } });
    const s2 = await sync(bob, { since: s1.next_batch });
    assert.deepEqual(s2.rooms.join[roomId].unread_notifications, { notification_count: 3, highlight_count: 1 });
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/sync', 200, s2);

    await bob.ok('POST', `/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(mention)}`, {});
    const s3 = await sync(bob, { since: s2.next_batch });
    assert.deepEqual(s3.rooms.join[roomId].unread_notifications, { notification_count: 0, highlight_count: 0 });
  });

  test('threads: a threaded receipt clears only its thread; unread_thread_notifications on request', async () => {
    const root = await send(alice, roomId, 'thread root');
    await sendContent(alice, roomId, { msgtype: 'm.text', body: 'in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
    const filter = JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } });
    const s = await sync(bob, { filter });
    const room = s.rooms.join[roomId];
    assert.deepEqual(room.unread_notifications, { notification_count: 1, highlight_count: 0 });
    assert.deepEqual(room.unread_thread_notifications, { [root]: { notification_count: 1, highlight_count: 0 } });
    const plain = await sync(bob);
    assert.deepEqual(plain.rooms.join[roomId].unread_notifications, { notification_count: 2, highlight_count: 0 });

    const threadReply = await sendContent(alice, roomId, { msgtype: 'm.text', body: 'again', 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
    await bob.ok('POST', `/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(threadReply)}`, { thread_id: root });
    const after1 = await sync(bob, { filter });
    assert.deepEqual(after1.rooms.join[roomId].unread_notifications, { notification_count: 1, highlight_count: 0 });
    assert.equal(after1.rooms.join[roomId].unread_thread_notifications[root], undefined);
    await bob.ok('POST', `/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(threadReply)}`, {});
    const after2 = await sync(bob);
    assert.deepEqual(after2.rooms.join[roomId].unread_notifications, { notification_count: 0, highlight_count: 0 });
  });

  test('GET /notifications: newest first, only=highlight, pagination, read flags', async () => {
    const all = (await bob.ok('GET', '/v3/notifications')) as J;
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/notifications', 200, all);
    assert.ok(all.notifications.length >= 6);
    const orderings = all.notifications.map((n: J) => n.ts);
    assert.deepEqual([...orderings].sort((a: number, b: number) => b - a), orderings);
    assert.ok(all.notifications.every((n: J) => n.room_id === roomId && n.read === true));
    const hl = (await bob.ok('GET', '/v3/notifications?only=highlight')) as J;
    assert.equal(hl.notifications.length, 1);
    assert.equal(hl.notifications[0].event.content.body, 'bob: look');
    assert.ok(hl.notifications[0].actions.some((a: J) => typeof a === 'object' && a.set_tweak === 'highlight'));

    const p1 = (await bob.ok('GET', '/v3/notifications?limit=2')) as J;
    assert.equal(p1.notifications.length, 2);
    assert.equal(typeof p1.next_token, 'string');
    const p2 = (await bob.ok('GET', `/v3/notifications?limit=2&from=${p1.next_token}`)) as J;
    assert.equal(p2.notifications[0].event.event_id, all.notifications[2].event.event_id);
    const bad = await bob.call('GET', '/v3/notifications?from=nope');
    assert.equal(bad.status, 400);
  });

  test('a gateway 500 is retried with the same event; event_id_only; rejected pushkeys remove the pusher', async () => {
    const start = gateway.received.length;
    gateway.replies.push({ status: 500, body: { error: 'down' } });
    const eventId = await send(alice, roomId, 'retry me');
    await gateway.waitFor(start + 2, 15_000);
    assert.equal(gateway.received[start]!.notification.event_id, eventId);
    assert.equal(gateway.received[start + 1]!.notification.event_id, eventId);

    await bob.ok('POST', '/v3/pushers/set', pusherBody(gateway.url, { data: { url: gateway.url, format: 'event_id_only' } }));
    const list = (await bob.ok('GET', '/v3/pushers')) as J;
    assert.equal(list.pushers.length, 1);
    assert.equal(list.pushers[0].data.format, 'event_id_only');
    gateway.replies.push({ status: 200, body: { rejected: ['bob-key'] } });
    const e2 = await send(alice, roomId, 'id only');
    await gateway.waitFor(start + 3);
    const n = gateway.received[start + 2]!.notification;
    assert.equal(n.event_id, e2);
    assert.equal(n.content, undefined);
    assert.equal(n.sender, undefined);
    assert.equal(typeof n.counts.unread, 'number');
    // The rejection removed the pusher.
    for (let i = 0; i < 50 && ((await bob.ok('GET', '/v3/pushers')) as J).pushers.length > 0; i++) await sleep(50);
    assert.deepEqual(((await bob.ok('GET', '/v3/pushers')) as J).pushers, []);
  });

  test('kind null removes a pusher; without append another user loses the same pushkey', async () => {
    await bob.ok('POST', '/v3/pushers/set', pusherBody(gateway.url));
    await alice.ok('POST', '/v3/pushers/set', pusherBody(gateway.url));
    assert.equal(((await bob.ok('GET', '/v3/pushers')) as J).pushers.length, 0);
    assert.equal(((await alice.ok('GET', '/v3/pushers')) as J).pushers.length, 1);
    await bob.ok('POST', '/v3/pushers/set', pusherBody(gateway.url, { append: true }));
    assert.equal(((await alice.ok('GET', '/v3/pushers')) as J).pushers.length, 1);
    await alice.ok('POST', '/v3/pushers/set', { kind: null, app_id: 'org.example.app', pushkey: 'bob-key' });
    assert.equal(((await alice.ok('GET', '/v3/pushers')) as J).pushers.length, 0);
    assert.equal(((await bob.ok('GET', '/v3/pushers')) as J).pushers.length, 1);
  });

  test('in a larger room a plain message is low priority and a mention high', async () => {
    const carol = await apiFor(server, 'carol');
    const group = await createRoom(alice, { preset: 'public_chat' });
    await bob.ok('POST', `/v3/join/${enc(group)}`, {});
    await carol.ok('POST', `/v3/join/${enc(group)}`, {});
    const start = gateway.received.length;
    await send(alice, group, 'hi all');
    await gateway.waitFor(start + 1);
    assert.equal(gateway.received[start]!.notification.prio, 'low');
    await sendContent(alice, group, { msgtype: 'm.text', body: 'bob!', 'm.mentions': { user_ids: [bob.user.userId] } });
    await gateway.waitFor(start + 2);
    assert.equal(gateway.received[start + 1]!.notification.prio, 'high');
    assert.equal(gateway.received[start + 1]!.notification.devices[0].tweaks.highlight, true);
  });

  test("a device's pushers go when it logs out or is deleted; other devices keep theirs", async () => {
    const dave = await apiFor(server, 'dave');
    const login = async (): Promise<Api> => {
      const r = await dave.call('POST', '/v3/login', {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'dave' },
        password: dave.user.password,
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return apiWithToken(server, { ...dave.user, accessToken: String(r.body.access_token), deviceId: String(r.body.device_id) });
    };
    const tablet = await login();
    const laptop = await login();
    await dave.ok('POST', '/v3/pushers/set', pusherBody(gateway.url, { pushkey: 'dave-phone' }));
    await tablet.ok('POST', '/v3/pushers/set', pusherBody(gateway.url, { pushkey: 'dave-tablet' }));
    await laptop.ok('POST', '/v3/pushers/set', pusherBody(gateway.url, { pushkey: 'dave-laptop' }));
    const keys = async () => (((await dave.ok('GET', '/v3/pushers')) as J).pushers as Array<{ pushkey: string }>).map((p) => p.pushkey).sort();
    assert.deepEqual(await keys(), ['dave-laptop', 'dave-phone', 'dave-tablet']);

    await tablet.ok('POST', '/v3/logout', {});
    assert.deepEqual(await keys(), ['dave-laptop', 'dave-phone']);

    const del = await dave.call('DELETE', `/v3/devices/${enc(laptop.user.deviceId)}`, {
      auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'dave' }, password: dave.user.password },
    });
    assert.equal(del.status, 200, JSON.stringify(del.body));
    assert.deepEqual(await keys(), ['dave-phone']);
  });

  test('a rule change and a display-name change apply to the very next message (no stale cached ruleset)', async () => {
    const dora = await apiFor(server, 'dora');
    const erin = await apiFor(server, 'erik');
    const frank = await apiFor(server, 'fred');
    const group = await createRoom(dora, { preset: 'public_chat' });
    await erin.ok('POST', `/v3/join/${enc(group)}`, {});
    await frank.ok('POST', `/v3/join/${enc(group)}`, {});
    const counts = async (since?: string) => {
      const s = await sync(erin, since !== undefined ? { since } : {});
      return { next: String(s.next_batch), c: s.rooms?.join?.[group]?.unread_notifications };
    };
    await send(dora, group, 'one');
    const s1 = await counts();
    assert.deepEqual(s1.c, { notification_count: 1, highlight_count: 0 });

    // Erin silences plain messages: the next message must not notify.
    await erin.ok('PUT', '/v3/pushrules/global/underride/.m.rule.message/actions', { actions: [] });
    await send(dora, group, 'two');
    const s2 = await counts();
    assert.deepEqual(s2.c, { notification_count: 1, highlight_count: 0 });

    // A new display name is matched at once by a (legacy) contains_display_name rule.
    await erin.ok('PUT', '/v3/pushrules/global/override/by-name', { conditions: [{ kind: 'contains_display_name' }], actions: ['notify', { set_tweak: 'highlight' }] });
    await send(dora, group, 'hello Quixote');
    assert.deepEqual((await counts()).c, { notification_count: 1, highlight_count: 0 });
    await erin.ok('PUT', `/v3/rooms/${enc(group)}/state/m.room.member/${enc(erin.user.userId)}`, { membership: 'join', displayname: 'Quixote' });
    await send(dora, group, 'hello Quixote');
    const s3 = await counts();
    assert.deepEqual(s3.c, { notification_count: 2, highlight_count: 1 });

    // Re-enabled: plain messages notify again.
    await erin.ok('PUT', '/v3/pushrules/global/underride/.m.rule.message/actions', { actions: ['notify'] });
    await send(dora, group, 'three');
    const s4 = await counts();
    assert.deepEqual(s4.c, { notification_count: 3, highlight_count: 1 });
  });
});
