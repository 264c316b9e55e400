import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countRows, describeStorage } from '../helpers/storage.js';
import type { PushActionRow } from '../../src/storage/interfaces/index.js';
import { STAGE_MIN_ROWS } from '../../src/storage/knex/push-store.js';
import { MOVE_ROWS_PER_TRANSACTION, userRangeBounds } from '../../src/storage/knex/push-action-moves.js';
import { roomPushActions } from '../helpers/push-actions.js';

function action(over: Partial<PushActionRow>): PushActionRow {
  return {
    userId: '@b:x',
    eventId: '$e',
    roomId: '!r:x',
    streamOrdering: 1,
    threadId: 'main',
    notify: true,
    highlight: false,
    actions: ['notify'],
    ts: 1000,
    ...over,
  };
}

describeStorage('push store', (h) => {
  test('user rules keep priority order; overrides merge their fields; delete drops both', async () => {
    const { push } = await h.open();
    await push.putUserRule('@a:x', { kind: 'content', ruleId: 'low', priority: 1, rule: { rule_id: 'low', actions: [] } });
    await push.putUserRule('@a:x', { kind: 'content', ruleId: 'high', priority: 2, rule: { rule_id: 'high', actions: ['notify'] } });
    await push.putUserRule('@b:x', { kind: 'content', ruleId: 'other', priority: 5, rule: { rule_id: 'other', actions: [] } });
    assert.deepEqual((await push.getUserRules('@a:x')).map((r) => r.ruleId), ['high', 'low']);
    await push.putUserRule('@a:x', { kind: 'content', ruleId: 'low', priority: 3, rule: { rule_id: 'low', actions: ['notify'] } });
    const rules = await push.getUserRules('@a:x');
    assert.deepEqual(rules.map((r) => [r.ruleId, r.priority]), [['low', 3], ['high', 2]]);
    assert.deepEqual(rules[0]?.rule, { rule_id: 'low', actions: ['notify'] });

    await push.putOverride('@a:x', 'override', '.m.rule.master', { enabled: true });
    await push.putOverride('@a:x', 'override', '.m.rule.master', { actions: ['notify'] });
    await push.putOverride('@a:x', 'content', 'low', { enabled: false });
    assert.deepEqual(
      (await push.getUserOverrides('@a:x')).sort((a, b) => a.ruleId.localeCompare(b.ruleId)),
      [
        { kind: 'override', ruleId: '.m.rule.master', enabled: true, actions: ['notify'] },
        { kind: 'content', ruleId: 'low', enabled: false, actions: null },
      ],
    );
    assert.equal(await push.deleteUserRule('@a:x', 'content', 'low'), true);
    assert.equal(await push.deleteUserRule('@a:x', 'content', 'low'), false);
    assert.deepEqual((await push.getUserOverrides('@a:x')).map((o) => o.ruleId), ['.m.rule.master']);
  });

  test('one evaluation pass lands whole: actions, queued deliveries and the position together, or none of them', async () => {
    const storage = await h.open();
    const { push, streamPositions } = storage;
    const delivery = (eventId: string) => ({ pusherId: 7, userId: '@b:x', eventId, roomId: '!r:x', actions: ['notify'], nextAttemptTs: 10 });
    await push.recordEvaluation({ actions: [action({ eventId: '$1', streamOrdering: 1 })], queue: [delivery('$1')], position: { stream: 'push', instance: 'main', value: 5 } });
    assert.deepEqual((await roomPushActions(push, '@b:x', '!r:x', -1)).map((r) => r.eventId), ['$1']);
    assert.deepEqual((await push.duePushes(100, 10)).map((r) => r.eventId), ['$1']);
    assert.equal(await streamPositions.getPosition('push', 'main'), 5);
    // The position write fails last: the actions and deliveries before it in the pass are rolled back.
    await assert.rejects(
      push.recordEvaluation({ actions: [action({ eventId: '$2', streamOrdering: 2 })], queue: [delivery('$2')], position: { stream: 'push', instance: 'main', value: 2 ** 60 } }),
    );
    assert.deepEqual((await roomPushActions(push, '@b:x', '!r:x', -1)).map((r) => r.eventId), ['$1']);
    assert.deepEqual((await push.duePushes(100, 10)).map((r) => r.eventId), ['$1']);
    assert.equal(await streamPositions.getPosition('push', 'main'), 5);
  });

  test('push actions: duplicates ignored, read per room after a position, notifications newest first', async () => {
    const { push } = await h.open();
    await push.addPushActions([
      action({ eventId: '$1', streamOrdering: 1 }),
      action({ eventId: '$2', streamOrdering: 2, highlight: true, threadId: '$root' }),
      action({ eventId: '$3', streamOrdering: 3, roomId: '!s:x' }),
      action({ eventId: '$1', streamOrdering: 1, userId: '@c:x' }),
    ]);
    await push.addPushActions([action({ eventId: '$1', streamOrdering: 1, highlight: true })]);
    const room = await roomPushActions(push, '@b:x', '!r:x', -1);
    assert.deepEqual(room.map((r) => [r.eventId, r.highlight, r.threadId]), [['$1', false, 'main'], ['$2', true, '$root']]);
    assert.deepEqual((await roomPushActions(push, '@b:x', '!r:x', 1)).map((r) => r.eventId), ['$2']);
    assert.deepEqual((await push.getRoomsWithPushActions('@b:x', -1)).sort(), ['!r:x', '!s:x']);
    assert.deepEqual((await push.getRoomsWithPushActions('@b:x', 2)), ['!s:x']);
    const n = await push.getNotifications('@b:x', { before: null, limit: 2, onlyHighlight: false });
    assert.deepEqual(n.map((r) => r.eventId), ['$3', '$2']);
    assert.deepEqual((await push.getNotifications('@b:x', { before: 2, limit: 5, onlyHighlight: false })).map((r) => r.eventId), ['$1']);
    assert.deepEqual((await push.getNotifications('@b:x', { before: null, limit: 5, onlyHighlight: true })).map((r) => r.eventId), ['$2']);
    assert.deepEqual(n[0]?.actions, ['notify']);
  });

  test('push actions of big rooms are staged (SQLite) and moved in whole events; every read sees each row once throughout', async () => {
    const storage = await h.open();
    const { push } = storage;
    const staging = h.engine === 'sqlite';
    const members = ['@b:x', '@c:x', '@d:x', '@e:x', '@f:x', '@g:x', '@h:x', '@i:x'];
    assert.equal(members.length, STAGE_MIN_ROWS);
    const event = (n: number, roomId: string, highlight = false, who = members) => who.map((userId) => action({ userId, eventId: `$${n}`, streamOrdering: n, roomId, highlight }));
    // Event 5 notifies two members: too few rows to stage.
    await push.addPushActions([...event(1, '!r:x'), ...event(2, '!s:x', true), ...event(3, '!r:x'), ...event(4, '!r:x'), ...event(5, '!r:x', false, ['@c:x', '@d:x'])]);
    const reads = async () => ({
      room: (await roomPushActions(push, '@c:x', '!r:x', 1)).map((r) => r.eventId),
      rooms: (await push.getRoomsWithPushActions('@c:x', 1)).sort(),
      notifications: (await push.getNotifications('@c:x', { before: 5, limit: 2, onlyHighlight: false })).map((r) => [r.eventId, r.highlight]),
      highlights: (await push.getNotifications('@c:x', { before: null, limit: 5, onlyHighlight: true })).map((r) => r.eventId),
      // Counted in the database: each row once, as the main table has it.
      counts: [...(await push.countUnreadPushActions('@c:x', '!r:x', { after: 1, threads: new Map() }))],
      highlighted: [...(await push.countUnreadPushActions('@c:x', '!s:x', { after: -1, threads: new Map() }))],
      // Up to a position (what a sync covers): the rows after it wait for the next sync.
      upTo: [...(await push.countUnreadPushActions('@c:x', '!r:x', { after: 1, threads: new Map(), upTo: 3 }))],
      upToPastThread: [...(await push.countUnreadPushActions('@c:x', '!r:x', { after: 1, threads: new Map([['main', 3]]), upTo: 4 }))],
    });
    const expected = {
      room: ['$3', '$4', '$5'],
      rooms: ['!r:x', '!s:x'],
      notifications: [['$4', false], ['$3', false]],
      highlights: ['$2'],
      counts: [['main', { notify: 3, highlight: 0 }]],
      highlighted: [['main', { notify: 1, highlight: 1 }]],
      upTo: [['main', { notify: 1, highlight: 0 }]],
      upToPastThread: [['main', { notify: 1, highlight: 0 }]],
    };
    const count = (table: string) => countRows(storage.knex, table);
    // Staged, an event is one row however many members it notifies (migration 0031): four events, 32 actions.
    assert.equal(await count('event_push_actions_staging'), staging ? 4 : 0);
    assert.equal(await count('event_push_actions'), staging ? 2 : 34);
    assert.deepEqual(await reads(), expected);

    // At most ten rows per move, in whole events: the first move takes events 1 and 2 (sixteen rows).
    assert.equal(await push.rotatePushActions(10), staging ? 16 : 0);
    assert.equal(await count('event_push_actions_staging'), staging ? 2 : 0);
    assert.deepEqual(await reads(), expected, 'half moved');

    // Event 2 evaluated again after its rows moved: still one row each, the first evaluation's.
    await push.addPushActions(event(2, '!s:x', false));
    assert.deepEqual(await reads(), expected, 'a second evaluation of a moved event');
    // Moved with the rest (24 rows) and dropped as duplicates there.
    assert.equal(await push.rotatePushActions(100), staging ? 24 : 0);
    assert.equal(await count('event_push_actions'), 34);
    assert.equal(await count('event_push_actions_staging'), 0);
    assert.deepEqual(await reads(), expected, 'all moved');
    assert.equal(await push.rotatePushActions(100), 0, 'nothing waiting');
    assert.deepEqual((await roomPushActions(push, '@b:x', '!r:x', -1)).map((r) => r.eventId), ['$1', '$3', '$4']);
  });

  test('a move bigger than one transaction takes every staged row once, whichever users the newest event names', async () => {
    const storage = await h.open();
    const { push } = storage;
    const members = Math.ceil((MOVE_ROWS_PER_TRANSACTION * 2.5) / 3);
    const user = (i: number) => `@m${String(i).padStart(5, '0')}:x`;
    // Three events in a big room; users who left before the last one, sorting before, between and after its
    // members, still have rows in the first two.
    const rows: PushActionRow[] = [];
    for (let e = 1; e <= 3; e++) {
      for (let i = 0; i < members; i++) rows.push(action({ userId: user(i), eventId: `$${e}`, streamOrdering: e }));
      if (e < 3) for (const gone of ['@a0:x', '@m01000b:x', '@zz:x']) rows.push(action({ userId: gone, eventId: `$${e}`, streamOrdering: e }));
    }
    await push.addPushActions(rows);
    // Rows each transaction of the move copied into the main table (its insert's count).
    const copied: number[] = [];
    const onResponse = (response: unknown, q: { sql: string }) => {
      if (/^insert into .event_push_actions. /i.test(q.sql)) copied.push(Number((response as { changes?: unknown }).changes));
    };
    storage.knex.on('query-response', onResponse);
    try {
      assert.equal(await push.rotatePushActions(rows.length + 100), h.engine === 'sqlite' ? rows.length : 0);
    } finally {
      storage.knex.off('query-response', onResponse);
    }
    if (h.engine === 'sqlite') {
      assert.equal(copied.length, 3, `cut into transactions of at most MOVE_ROWS_PER_TRANSACTION rows: ${copied.join(', ')}`);
      assert.ok(copied.every((n) => n > 0 && n <= MOVE_ROWS_PER_TRANSACTION), `rows per transaction: ${copied.join(', ')}`);
    }
    assert.equal(await countRows(storage.knex, 'event_push_actions_staging'), 0);
    assert.equal(await countRows(storage.knex, 'event_push_actions'), rows.length);
    for (const u of ['@a0:x', '@m01000b:x', '@zz:x', user(0), user(members - 1)]) {
      const expected = u.startsWith('@m0') && !u.endsWith('b:x') ? ['$1', '$2', '$3'] : ['$1', '$2'];
      assert.deepEqual((await roomPushActions(push, u, '!r:x', -1)).map((r) => r.eventId), expected, u);
    }
  });

  test('an event at or below the cut that commits while a move runs is neither lost nor counted twice', async (t) => {
    if (h.engine !== 'sqlite') return t.skip('only SQLite stages push actions');
    const storage = await h.open();
    const { push } = storage;
    // Event 2 is big enough for a move of two transactions, split among its members' ids.
    const members = Math.ceil(MOVE_ROWS_PER_TRANSACTION * 1.5);
    const big = Array.from({ length: members }, (_, i) => action({ userId: `@m${String(i).padStart(5, '0')}:x`, eventId: '$2', streamOrdering: 2 }));
    await push.addPushActions(big);
    // A room writer took stream ordering 1 before the move and commits between its transactions: its members
    // sort before the first range's end (@a) and into the last range (@z).
    const lateUsers = ['@a1:x', '@a2:x', '@a3:x', '@a4:x', '@z1:x', '@z2:x', '@z3:x', '@z4:x'];
    let late: Promise<void> | null = null;
    const onQuery = (q: { sql: string }) => {
      if (late === null && /^insert into .event_push_actions. /i.test(q.sql)) {
        late = push.addPushActions(lateUsers.map((userId) => action({ userId, eventId: '$1', streamOrdering: 1 })));
      }
    };
    storage.knex.on('query', onQuery);
    try {
      assert.equal(await push.rotatePushActions(members + 100), members, 'the move counts only the events it planned');
    } finally {
      storage.knex.off('query', onQuery);
    }
    assert.ok(late !== null);
    await late;
    assert.equal(await countRows(storage.knex, 'event_push_actions_staging'), 1, 'the late event stays staged');
    const copied: Array<{ user_id: string }> = await storage.knex('event_push_actions').select('user_id').where('stream_ordering', 1).orderBy('user_id');
    assert.deepEqual(copied.map((r) => r.user_id), lateUsers.slice(4), 'the last transaction copied the rows of its range');
    const seen = async () => Promise.all(lateUsers.map(async (u) => [u, (await roomPushActions(push, u, '!r:x', -1)).map((r) => r.eventId), [...(await push.countUnreadPushActions(u, '!r:x', { after: 0, threads: new Map() }))]]));
    const expected = lateUsers.map((u) => [u, ['$1'], [['main', { notify: 1, highlight: 0 }]]]);
    assert.deepEqual(await seen(), expected, 'each late row once, staged or copied already');
    assert.equal(await push.rotatePushActions(100), lateUsers.length, 'the next move takes it');
    assert.equal(await countRows(storage.knex, 'event_push_actions_staging'), 0);
    assert.equal(await countRows(storage.knex, 'event_push_actions'), members + lateUsers.length);
    assert.deepEqual(await seen(), expected);
  });

  test('the pushers of users are read afresh after every change, whoever it concerns', async () => {
    const { push } = await h.open();
    const base = { userId: '@b:x', accessTokenId: null, deviceId: 'PHONE', kind: 'http', appId: 'app', pushkey: 'k', appDisplayName: 'App', deviceDisplayName: 'Phone', profileTag: null, lang: 'en', data: { url: 'https://p/_matrix/push/v1/notify' }, createdTs: 1 };
    const of = async (...users: string[]) => (await push.getPushersOfUsers(users)).map((p) => `${p.userId} ${p.pushkey} ${p.lang}`);
    assert.deepEqual(await of('@b:x', '@c:x'), []);
    await push.upsertPusher(base);
    assert.deepEqual(await of('@b:x', '@c:x'), ['@b:x k en']);
    await push.upsertPusher({ ...base, lang: 'fr' });
    assert.deepEqual(await of('@b:x'), ['@b:x k fr']);
    // Another user registering the same app and key takes it over (as POST /pushers/set does with append false).
    await push.upsertPusher({ ...base, userId: '@c:x' });
    await push.deletePushersOfOthers('@c:x', 'app', 'k');
    assert.deepEqual(await of('@b:x', '@c:x'), ['@c:x k en']);
    await push.deletePushersOfDevices('@c:x', ['PHONE']);
    assert.deepEqual(await of('@c:x'), []);
    await push.upsertPusher({ ...base, pushkey: 'k2' });
    assert.deepEqual(await of('@b:x', '@b:x'), ['@b:x k2 en']);
    await push.deletePusher('@b:x', 'app', 'k2');
    assert.deepEqual(await of('@b:x'), []);
  });

  test('pushers upsert per (user, app, key); deleting removes queued pushes; queue due/reschedule', async () => {
    const { push } = await h.open();
    const base = {
      userId: '@b:x',
      accessTokenId: null,
      deviceId: 'PHONE',
      kind: 'http',
      appId: 'app',
      pushkey: 'k',
      appDisplayName: 'App',
      deviceDisplayName: 'Phone',
      profileTag: null,
      lang: 'en',
      data: { url: 'https://p/_matrix/push/v1/notify' },
      createdTs: 5000,
    };
    const id = await push.upsertPusher(base);
    const again = await push.upsertPusher({ ...base, lang: 'fr', createdTs: 9999 });
    assert.equal(again, id);
    const [p] = await push.getPushers('@b:x');
    assert.equal(p?.lang, 'fr');
    assert.equal(p?.createdTs, 5000);
    assert.deepEqual((await push.getPusherById(id))?.data, base.data);
    const other = await push.upsertPusher({ ...base, userId: '@c:x' });
    assert.deepEqual((await push.getPushersOfUsers(['@b:x', '@c:x', '@nobody:x'])).map((r) => [r.id, r.userId]), [[id, '@b:x'], [other, '@c:x']]);
    assert.deepEqual(await push.getPushersOfUsers([]), []);

    await push.enqueuePush([
      { pusherId: id, userId: '@b:x', eventId: '$1', roomId: '!r:x', actions: ['notify'], nextAttemptTs: 100 },
      { pusherId: id, userId: '@b:x', eventId: '$2', roomId: '!r:x', actions: ['notify'], nextAttemptTs: 200 },
      { pusherId: other, userId: '@c:x', eventId: '$1', roomId: '!r:x', actions: ['notify'], nextAttemptTs: 300 },
    ]);
    await push.enqueuePush([{ pusherId: id, userId: '@b:x', eventId: '$1', roomId: '!r:x', actions: [], nextAttemptTs: 50 }]);
    assert.equal(await push.nextPushDue(), 100);
    const due = await push.duePushes(150, 10);
    assert.deepEqual(due.map((r) => [r.eventId, r.attempts]), [['$1', 0]]);
    await push.reschedulePush(due[0]!.id, 1, 1000);
    assert.deepEqual((await push.duePushes(250, 10)).map((r) => r.eventId), ['$2']);
    await push.deletePush((await push.duePushes(250, 10))[0]!.id);
    assert.equal(await push.nextPushDue(), 300);

    await push.deletePushersOfOthers('@b:x', 'app', 'k');
    assert.deepEqual(await push.getPushers('@c:x'), []);
    assert.deepEqual((await push.duePushes(10_000, 10)).map((r) => [r.eventId, r.attempts]), [['$1', 1]]);
    await push.deletePusher('@b:x', 'app', 'k');
    assert.deepEqual(await push.getPushers('@b:x'), []);
    assert.equal(await push.nextPushDue(), null);

    const phone = await push.upsertPusher({ ...base, pushkey: 'phone' });
    await push.upsertPusher({ ...base, pushkey: 'laptop', deviceId: 'LAPTOP' });
    await push.enqueuePush([{ pusherId: phone, userId: '@b:x', eventId: '$3', roomId: '!r:x', actions: ['notify'], nextAttemptTs: 400 }]);
    assert.equal((await push.getPusherById(phone))?.deviceId, 'PHONE');
    await push.deletePushersOfDevices('@b:x', ['PHONE']);
    assert.deepEqual((await push.getPushers('@b:x')).map((p) => p.pushkey), ['laptop'], "only the deleted device's pushers go");
    assert.equal(await push.nextPushDue(), null, 'with their pending deliveries');
  });
});

test('user ranges for a move: about equal shares, none when one part is enough', () => {
  const users = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  assert.deepEqual(userRangeBounds(users, 1), []);
  assert.deepEqual(userRangeBounds(users, 2), ['d']);
  assert.deepEqual(userRangeBounds(users, 3), ['c', 'f']);
  assert.deepEqual(userRangeBounds(users, 20), ['a', 'b', 'c', 'd', 'e', 'f'], 'a range per user at most');
  assert.deepEqual(userRangeBounds(['a'], 5), []);
});
