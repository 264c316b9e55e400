import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../src/http/logger.js';
import { openStorage } from '../../../src/storage/knex/index.js';
import { restartableServer } from '../../helpers/server.js';
import { registerUser, TEST_USER_CONFIG } from '../../helpers/users.js';
import { apiWithToken, createRoom, send, type J } from '../sync/helpers.js';
import { startFakeGateway } from './fake-gateway.js';

// The push queue is a table: a push the gateway refused before a restart is delivered after it.

test('a push that failed before a restart is retried after it', async () => {
  const hs = await restartableServer(TEST_USER_CONFIG);
  const { config } = hs;
  const gateway = await startFakeGateway();
  try {
    let server = await hs.boot();
    const alice = apiWithToken(server, await registerUser(server.baseUrl, config, 'alice'));
    const bobUser = await registerUser(server.baseUrl, config, 'bob');
    const bob = apiWithToken(server, bobUser);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    await bob.ok('POST', `/v3/join/${encodeURIComponent(roomId)}`, {});
    await bob.ok('POST', '/v3/pushers/set', {
      kind: 'http',
      app_id: 'app',
      pushkey: 'key',
      app_display_name: 'App',
      device_display_name: 'Phone',
      lang: 'en',
      data: { url: gateway.url },
    });
    gateway.replies.push({ status: 503, body: {} });
    const eventId = await send(alice, roomId, 'survive the restart');
    await gateway.waitFor(1);
    await server.close();

    server = await hs.boot();
    try {
      await gateway.waitFor(2, 15_000);
      const retried: J = gateway.received[1];
      assert.equal(retried.notification.event_id, eventId);
      assert.equal(retried.notification.counts.unread, 1);
    } finally {
      await server.close();
    }

    // Events the last process stored but never evaluated (it stopped in between) are evaluated at start:
    // rewind the evaluation position and drop the stored push actions, as if that had happened.
    const storage = await openStorage(config.database, createLogger('silent'));
    try {
      const before = await storage.streamPositions.getPosition('push_evaluation', 'master');
      assert.ok(before !== null && before > 0);
      await storage.streamPositions.setPosition('push_evaluation', 'master', 0);
      await storage.knex('event_push_actions').delete();
      await storage.knex('event_push_actions_staging').delete();
    } finally {
      await storage.close();
    }
    server = await hs.boot();
    try {
      const bob2 = apiWithToken(server, bobUser);
      const body: J = await bob2.ok('GET', '/v3/sync?timeout=0');
      assert.deepEqual(body.rooms.join[roomId].unread_notifications, { notification_count: 1, highlight_count: 0 });
    } finally {
      await server.close();
    }
  } finally {
    await gateway.close();
    await hs.dispose();
  }
});
