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
});
