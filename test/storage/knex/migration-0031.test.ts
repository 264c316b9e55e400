import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countRows, describeStorage } from '../../helpers/storage.js';
import { openBefore } from '../../helpers/migrate-before.js';

// 0031 stages an event's push actions as one row (its members' actions a JSON array): rows staged before it,
// one per member, are moved into the main table by the migration, each once, and new events stage one row each.

const row = (streamOrdering: number, userId: string, highlight = false) => ({
  stream_ordering: streamOrdering,
  user_id: userId,
  room_id: '!r:x',
  event_id: `$e${streamOrdering}`,
  thread_id: 'main',
  notify: true,
  highlight,
  actions_json: highlight ? '["notify",{"set_tweak":"highlight"}]' : '["notify"]',
  ts: 1_700_000_000_000 + streamOrdering,
});

describeStorage('migration 0031 (an event staged as one row)', (h) => {
  test('rows staged before it move into the main table once; new events stage one row each and read as before', async () => {
    const { storage, rest } = await openBefore(h, '0031_push_actions_staged_per_event');
    const { knex } = storage;
    const users = ['@b:x', '@c:x', '@d:x'];
    await knex('event_push_actions_staging').insert([...users.map((u) => row(1, u)), ...users.map((u) => row(2, u, true))]);
    // @b's row of event 1 is in the main table already, as its first evaluation had it: that one is kept.
    await knex('event_push_actions').insert(row(1, '@b:x', true));
    assert.deepEqual(await storage.migrate(), rest);

    assert.equal(await countRows(knex, 'event_push_actions_staging'), 0);
    const main: Array<{ user_id: string; stream_ordering: unknown; highlight: unknown }> = await knex('event_push_actions').select('user_id', 'stream_ordering', 'highlight').orderBy(['stream_ordering', 'user_id']);
    assert.deepEqual(
      main.map((r) => `${Number(r.stream_ordering)} ${r.user_id} ${Boolean(r.highlight)}`),
      ['1 @b:x true', '1 @c:x false', '1 @d:x false', '2 @b:x true', '2 @c:x true', '2 @d:x true'],
    );
    const { push } = storage;
    assert.deepEqual([...(await push.countUnreadPushActions('@b:x', '!r:x', { after: 0, threads: new Map() }))], [['main', { notify: 2, highlight: 2 }]]);
    assert.deepEqual([...(await push.countUnreadPushActions('@c:x', '!r:x', { after: 0, threads: new Map() }))], [['main', { notify: 2, highlight: 1 }]]);

    // A new event notifying eight members: one staged row on SQLite (none on PostgreSQL, which never stages).
    const eight = ['@b:x', '@c:x', '@d:x', '@e:x', '@f:x', '@g:x', '@h:x', '@i:x'];
    await push.addPushActions(eight.map((userId) => ({ userId, eventId: '$e3', roomId: '!r:x', streamOrdering: 3, threadId: '$root', notify: true, highlight: userId === '@e:x', actions: ['notify'], ts: 5 })));
    const staged: Array<{ stream_ordering: unknown; variant: unknown; event_id: string; thread_id: string; highlight: unknown; n: unknown; users_json: string }> = await knex('event_push_actions_staging')
      .select('stream_ordering', 'variant', 'event_id', 'thread_id', 'highlight', 'n', 'users_json')
      .orderBy('variant');
    if (h.engine === 'sqlite') {
      // One row per outcome: seven members notified, @e highlighted too.
      assert.deepEqual(
        staged.map((r) => [Number(r.stream_ordering), Number(r.variant), r.event_id, r.thread_id, Boolean(r.highlight), Number(r.n), JSON.parse(r.users_json)]),
        [
          [3, 0, '$e3', '$root', false, 7, eight.filter((u) => u !== '@e:x')],
          [3, 1, '$e3', '$root', true, 1, ['@e:x']],
        ],
      );
    } else {
      assert.deepEqual(staged, []);
    }
    // Evaluated again before its move, with another outcome for @b: the first evaluation stays, whole.
    await push.addPushActions(eight.map((userId) => ({ userId, eventId: '$e3', roomId: '!r:x', streamOrdering: 3, threadId: '$root', notify: true, highlight: userId === '@b:x', actions: ['notify'], ts: 5 })));
    assert.equal(await countRows(knex, 'event_push_actions_staging'), h.engine === 'sqlite' ? 2 : 0);
    const notifications = await push.getNotifications('@e:x', { before: null, limit: 5, onlyHighlight: false });
    assert.deepEqual(notifications.map((n) => [n.eventId, n.roomId, n.streamOrdering, n.threadId, n.highlight, n.actions, n.ts]), [['$e3', '!r:x', 3, '$root', true, ['notify'], 5]]);
    assert.deepEqual([...(await push.countUnreadPushActions('@b:x', '!r:x', { after: 0, threads: new Map() }))], [['$root', { notify: 1, highlight: 0 }], ['main', { notify: 2, highlight: 2 }]]);
    assert.equal(await push.rotatePushActions(100), h.engine === 'sqlite' ? 8 : 0);
    assert.equal(await countRows(knex, 'event_push_actions'), 6 + 8);
    assert.deepEqual((await push.getNotifications('@e:x', { before: null, limit: 5, onlyHighlight: true })).map((n) => n.eventId), ['$e3']);
    await storage.close();
  });
});
