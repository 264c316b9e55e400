import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPushService } from '../../src/push/service.js';
import { defaultRuleset } from '../../src/protocol/push/index.js';
import { createInProcessNoticeHub } from '../../src/workers/notice-hub.js';
import type { Storage } from '../../src/storage/interfaces/index.js';
import { describeStorage, testLogger } from '../helpers/storage.js';
import { roomHarness, SERVER } from '../rooms/harness.js';

// A transient database error while evaluating (e.g. no free pool connection under load) must not lose the
// notification: the same range is evaluated again.

describeStorage('push evaluation', (h) => {
  test('a failing write during evaluation is retried and the notification is counted', async () => {
    const storage = await h.open();
    const rooms = roomHarness(storage);
    const alice = rooms.user('alice');
    const bob = rooms.user('bob');
    const { room_id } = await rooms.rooms.createRoom(alice, { preset: 'public_chat' });
    await rooms.rooms.join(bob, room_id, {});

    let failures = 0;
    const flakyPush = Object.assign(Object.create(storage.push) as Storage['push'], {
      recordEvaluation: async (batch: Parameters<Storage['push']['recordEvaluation']>[0]) => {
        if (failures === 0 && batch.actions.length > 0) {
          failures++;
          throw new Error('Unable to acquire a connection');
        }
        return storage.push.recordEvaluation(batch);
      },
    });
    const flaky = Object.assign(Object.create(storage) as Storage, { push: flakyPush });
    const hub = createInProcessNoticeHub(testLogger());
    const push = createPushService({
      storage: flaky,
      notices: hub,
      logger: testLogger(),
      serverName: SERVER,
      now: () => Date.now(),
      getRuleset: async (userId) => defaultRuleset(userId),
    });
    try {
      const { event_id } = await rooms.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: 'hi bob' }, 't1');
      const event = await storage.rooms.getEvent(event_id);
      assert.ok(event);
      hub.publish({ stream: 'events', position: event.streamOrdering, roomIds: [room_id] });
      await push.caughtUp(event.streamOrdering);
      const deadline = Date.now() + 5000;
      let actions = await storage.push.getRoomPushActions(bob.userId, room_id, 0);
      while (actions.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        actions = await storage.push.getRoomPushActions(bob.userId, room_id, 0);
      }
      assert.equal(failures, 1, 'the first write failed');
      assert.deepEqual(actions.map((a) => a.eventId), [event_id]);
    } finally {
      push.close();
    }
  });
});
