import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../../helpers/storage.js';
import { openBefore } from '../../helpers/migrate-before.js';
import { roomPushActions } from '../../helpers/push-actions.js';

// 0023 rebuilds event_push_actions with (user_id, stream_ordering) as its key in place of (user_id, event_id):
// rows written before it must read back the same, and a re-run evaluation's duplicate must still be ignored.
describeStorage('migration 0023 (push action keys)', (h) => {
  test('push actions written before the rebuild keep their reads; a duplicate after it is ignored', async () => {
    const { storage, rest } = await openBefore(h, '0023_push_actions_narrower_keys');
    const row = (userId: string, eventId: string, roomId: string, streamOrdering: number, highlight: boolean) => ({
      user_id: userId,
      event_id: eventId,
      room_id: roomId,
      stream_ordering: streamOrdering,
      thread_id: 'main',
      notify: true,
      highlight,
      actions_json: JSON.stringify(highlight ? ['notify', { set_tweak: 'highlight' }] : ['notify']),
      ts: 1000 + streamOrdering,
    });
    await storage.knex('event_push_actions').insert([
      row('@b:x', '$1', '!r:x', 1, false),
      row('@b:x', '$2', '!s:x', 2, true),
      row('@c:x', '$1', '!r:x', 1, false),
    ]);

    assert.deepEqual(await storage.migrate(), rest);

    const { push } = storage;
    assert.deepEqual((await roomPushActions(push, '@b:x', '!r:x', -1)).map((r) => [r.eventId, r.streamOrdering, r.ts]), [['$1', 1, 1001]]);
    assert.deepEqual((await push.getRoomsWithPushActions('@b:x', -1)).sort(), ['!r:x', '!s:x']);
    const notes = await push.getNotifications('@b:x', { before: null, limit: 5, onlyHighlight: false });
    assert.deepEqual(notes.map((r) => [r.eventId, r.highlight, r.actions]), [
      ['$2', true, ['notify', { set_tweak: 'highlight' }]],
      ['$1', false, ['notify']],
    ]);
    await push.addPushActions([{ userId: '@c:x', eventId: '$1', roomId: '!r:x', streamOrdering: 1, threadId: 'main', notify: true, highlight: true, actions: [], ts: 5 }]);
    assert.deepEqual((await roomPushActions(push, '@c:x', '!r:x', -1)).map((r) => [r.highlight, r.ts]), [[false, 1001]]);
  });
});
