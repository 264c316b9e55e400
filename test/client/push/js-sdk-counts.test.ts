import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientEvent, createClient, NotificationCountType, SyncState, type MatrixClient, type Room } from 'matrix-js-sdk';
import type { TestServer } from '../../helpers/server.js';
import { apiFor, createRoom, send, startSyncServer, type Api } from '../sync/helpers.js';

// matrix-js-sdk reads unread_notifications from our /sync: counts rise with messages, a mention sets a
// highlight, and a read receipt brings them back to zero. Its push rules come from our /pushrules/.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('matrix-js-sdk unread notification counts', () => {
  let server: TestServer;
  let alice: Api;
  let bob: Api;
  let client: MatrixClient;
  before(async () => {
    server = await startSyncServer();
    alice = await apiFor(server, 'alice');
    bob = await apiFor(server, 'bob');
  });
  after(async () => {
    client?.stopClient();
    await server.close();
  });

  test('counts rise with messages and mentions and fall after a read receipt', async () => {
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    await bob.ok('POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    await send(alice, roomId, 'before the client started');

    client = createClient({ baseUrl: server.baseUrl, accessToken: bob.user.accessToken, userId: bob.user.userId, deviceId: bob.user.deviceId });
    const prepared = new Promise<void>((resolve) => {
      client.on(ClientEvent.Sync, (state: SyncState) => {
        if (state === SyncState.Prepared) resolve();
      });
    });
    await client.startClient({ initialSyncLimit: 10 });
    await prepared;
    assert.ok(client.pushRules?.global.override?.some((r) => r.rule_id === '.m.rule.is_user_mention'), 'the SDK loaded our push rules');
    const room = client.getRoom(roomId) as Room;
    const total = () => room.getUnreadNotificationCount(NotificationCountType.Total);
    const highlight = () => room.getUnreadNotificationCount(NotificationCountType.Highlight);
    assert.equal(total(), 1);
    assert.equal(highlight(), 0);

    await send(alice, roomId, 'one more');
    await until('2 unread', () => total() === 2);
    assert.equal(highlight(), 0);

    const r = await alice.ok('PUT', `/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/mention1`, {
      msgtype: 'm.text',
      body: 'bob: please look',
      'm.mentions': { user_ids: [bob.user.userId] },
    });
    await until('a highlight', () => highlight() === 1 && total() === 3);

    const mention = room.findEventById(String(r.event_id));
    assert.ok(mention, 'the SDK has the mention in its timeline');
    await client.sendReadReceipt(mention);
    // Wait for the server's answer (the next sync) rather than the SDK's local guess.
    const body = await bob.ok('GET', '/v3/sync?timeout=0');
    const counts = (body as { rooms: { join: Record<string, { unread_notifications: unknown }> } }).rooms.join[roomId]?.unread_notifications;
    assert.deepEqual(counts, { notification_count: 0, highlight_count: 0 });
    await until('zero unread', () => total() === 0 && highlight() === 0);
  });

  test('in a room big enough to stage its push actions (SQLite), the counts hold before, during and after the move', async () => {
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    // Ten members besides the sender: every message notifies at least STAGE_MIN_ROWS (8) of them.
    const others = await Promise.all(Array.from({ length: 9 }, (_, i) => apiFor(server, `lurker${i}`)));
    for (const api of [bob, ...others]) await api.ok('POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    const room = await until('the room in the SDK', () => client.getRoom(roomId)?.getMyMembership() === 'join').then(() => client.getRoom(roomId) as Room);
    const total = () => room.getUnreadNotificationCount(NotificationCountType.Total);
    const highlight = () => room.getUnreadNotificationCount(NotificationCountType.Highlight);

    await send(alice, roomId, 'hello all');
    await send(alice, roomId, 'and again');
    // One message with two outcomes: bob highlighted, the others notified.
    await alice.ok('PUT', `/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/staged-mention`, {
      msgtype: 'm.text',
      body: 'bob: this one is yours',
      'm.mentions': { user_ids: [bob.user.userId] },
    });
    const last = await send(alice, roomId, 'last one');
    await until('4 unread, 1 highlight', () => total() === 4 && highlight() === 1);
    const countsOf = async (api: Api) => {
      const body = await api.ok('GET', '/v3/sync?timeout=0');
      return (body as { rooms: { join: Record<string, { unread_notifications: unknown }> } }).rooms.join[roomId]?.unread_notifications;
    };
    assert.deepEqual(await countsOf(others[0] as Api), { notification_count: 4, highlight_count: 0 });
    // Past the longest wait before a move (2 s): the rows are in the per-user table now, counted the same.
    await sleep(2_500);
    assert.deepEqual(await countsOf(bob), { notification_count: 4, highlight_count: 1 });
    assert.deepEqual(await countsOf(others[8] as Api), { notification_count: 4, highlight_count: 0 });
    const listed = (await bob.ok('GET', '/v3/notifications?limit=20')) as { notifications: Array<{ room_id: string; event: { event_id: string } }> };
    const here = listed.notifications.filter((n) => n.room_id === roomId);
    assert.equal(here.length, 4, 'each message once in /notifications');
    assert.equal(here[0]?.event.event_id, last);

    const latest = room.findEventById(last);
    assert.ok(latest, 'the SDK has the last message');
    await client.sendReadReceipt(latest);
    assert.deepEqual(await countsOf(bob), { notification_count: 0, highlight_count: 0 });
    await until('zero unread', () => total() === 0 && highlight() === 0);
  });
});
