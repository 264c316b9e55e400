import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  historyVisibilityFrom,
  serverMayViewEvent,
  userMayViewEvent,
  type HistoryVisibility,
  type VisibilityEvent,
} from '../../src/protocol/history-visibility.js';

const USER = '@u:a.org';
const MESSAGE: VisibilityEvent = { type: 'm.room.message', content: { body: 'x' } };

describe('reading m.room.history_visibility', () => {
  test('returns known values', () => {
    for (const v of ['world_readable', 'shared', 'invited', 'joined']) {
      assert.equal(historyVisibilityFrom({ history_visibility: v }), v);
    }
  });

  test('defaults to shared for a missing event or unknown values', () => {
    assert.equal(historyVisibilityFrom(undefined), 'shared');
    assert.equal(historyVisibilityFrom({}), 'shared');
    assert.equal(historyVisibilityFrom({ history_visibility: 'everyone' }), 'shared');
    assert.equal(historyVisibilityFrom({ history_visibility: 5 }), 'shared');
  });
});

describe('user visibility of ordinary events', () => {
  // [visibility, membership at the event, joined after the event, expected]
  const table: Array<[HistoryVisibility, string | undefined, boolean, boolean]> = [
    // Rule 1: world_readable lets anyone see.
    ['world_readable', undefined, false, true],
    ['world_readable', 'leave', false, true],
    ['world_readable', 'ban', false, true],
    // Rule 2: members see everything sent while they were joined.
    ['joined', 'join', false, true],
    ['invited', 'join', false, true],
    ['shared', 'join', false, true],
    // Rule 3: shared history opens to anyone who joins later.
    ['shared', undefined, true, true],
    ['shared', 'leave', true, true],
    ['shared', undefined, false, false],
    ['shared', 'invite', false, false],
    // Rule 4: invited history opens from the invite on.
    ['invited', 'invite', false, true],
    ['invited', undefined, true, false],
    ['invited', 'leave', true, false],
    ['invited', 'knock', false, false],
    // Rule 5: everything else is denied.
    ['joined', 'invite', true, false],
    ['joined', undefined, true, false],
    ['joined', 'leave', false, false],
    ['joined', 'ban', true, false],
  ];
  for (const [visibility, membership, joinedAfterEvent, expected] of table) {
    test(`${visibility}, membership ${membership ?? 'none'}, ${joinedAfterEvent ? 'joined later' : 'never joined later'} -> ${expected ? 'visible' : 'hidden'}`, () => {
      assert.equal(
        userMayViewEvent({ userId: USER, event: MESSAGE, historyVisibility: visibility, membership, joinedAfterEvent }),
        expected,
      );
    });
  }
});

describe('user visibility of history_visibility changes', () => {
  const change = (to: string): VisibilityEvent => ({
    type: 'm.room.history_visibility',
    state_key: '',
    content: { history_visibility: to },
  });

  test('a change from world_readable to joined is visible to non-members', () => {
    assert.ok(userMayViewEvent({ userId: USER, event: change('joined'), historyVisibility: 'world_readable', membership: undefined, joinedAfterEvent: false }));
  });

  test('a change from joined to world_readable is visible to non-members', () => {
    assert.ok(userMayViewEvent({ userId: USER, event: change('world_readable'), historyVisibility: 'joined', membership: undefined, joinedAfterEvent: false }));
  });

  test('a change between two restrictive values is not', () => {
    assert.equal(
      userMayViewEvent({ userId: USER, event: change('invited'), historyVisibility: 'joined', membership: undefined, joinedAfterEvent: true }),
      false,
    );
  });

  test('only the room-wide (empty state key) event counts as a change', () => {
    const odd: VisibilityEvent = { type: 'm.room.history_visibility', state_key: 'x', content: { history_visibility: 'world_readable' } };
    assert.equal(userMayViewEvent({ userId: USER, event: odd, historyVisibility: 'joined', membership: undefined, joinedAfterEvent: false }), false);
  });
});

describe("user visibility of the user's own membership events", () => {
  const member = (userId: string, membership: string): VisibilityEvent => ({
    type: 'm.room.member',
    state_key: userId,
    content: { membership },
  });

  test('a user always sees their own join, even with joined visibility', () => {
    assert.ok(userMayViewEvent({ userId: USER, event: member(USER, 'join'), historyVisibility: 'joined', membership: undefined, joinedAfterEvent: false }));
  });

  test('a user sees their own leave and ban after being joined', () => {
    for (const m of ['leave', 'ban']) {
      assert.ok(userMayViewEvent({ userId: USER, event: member(USER, m), historyVisibility: 'joined', membership: 'join', joinedAfterEvent: false }));
    }
  });

  test('a user sees their own invite under invited visibility', () => {
    assert.ok(userMayViewEvent({ userId: USER, event: member(USER, 'invite'), historyVisibility: 'invited', membership: undefined, joinedAfterEvent: false }));
  });

  test("a user does not see their own invite under joined visibility, nor someone else's join", () => {
    assert.equal(
      userMayViewEvent({ userId: USER, event: member(USER, 'invite'), historyVisibility: 'joined', membership: undefined, joinedAfterEvent: false }),
      false,
    );
    assert.equal(
      userMayViewEvent({ userId: USER, event: member('@other:a.org', 'join'), historyVisibility: 'joined', membership: undefined, joinedAfterEvent: false }),
      false,
    );
  });
});

describe('server visibility', () => {
  const members = (entries: Array<[string, string]>) => new Map(entries);

  test('world_readable and shared events go to any server', () => {
    for (const v of ['world_readable', 'shared'] as const) {
      assert.ok(serverMayViewEvent({ serverName: 'b.org', event: MESSAGE, historyVisibility: v, memberships: members([]) }));
    }
  });

  test('joined events go to servers with a joined user at the event', () => {
    const state = members([['@x:b.org', 'join'], ['@y:c.org', 'leave']]);
    assert.ok(serverMayViewEvent({ serverName: 'b.org', event: MESSAGE, historyVisibility: 'joined', memberships: state }));
    assert.equal(serverMayViewEvent({ serverName: 'c.org', event: MESSAGE, historyVisibility: 'joined', memberships: state }), false);
  });

  test("only the server's own users count", () => {
    const state = members([['@x:b.org', 'join']]);
    assert.equal(serverMayViewEvent({ serverName: 'b.or', event: MESSAGE, historyVisibility: 'joined', memberships: state }), false);
    assert.equal(serverMayViewEvent({ serverName: 'd.org', event: MESSAGE, historyVisibility: 'invited', memberships: state }), false);
  });

  test('invited events go to servers with an invited user, joined events do not', () => {
    const state: Array<[string, string]> = [['@x:b.org', 'invite']];
    assert.ok(serverMayViewEvent({ serverName: 'b.org', event: MESSAGE, historyVisibility: 'invited', memberships: state }));
    assert.equal(serverMayViewEvent({ serverName: 'b.org', event: MESSAGE, historyVisibility: 'joined', memberships: state }), false);
  });

  test("a server sees the membership event that joins one of its users", () => {
    const join: VisibilityEvent = { type: 'm.room.member', state_key: '@x:b.org', content: { membership: 'join' } };
    assert.ok(serverMayViewEvent({ serverName: 'b.org', event: join, historyVisibility: 'joined', memberships: members([]) }));
    assert.equal(serverMayViewEvent({ serverName: 'c.org', event: join, historyVisibility: 'joined', memberships: members([]) }), false);
  });

  test('a server sees a history_visibility change away from shared', () => {
    const change: VisibilityEvent = { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } };
    assert.ok(serverMayViewEvent({ serverName: 'b.org', event: change, historyVisibility: 'shared', memberships: members([]) }));
    assert.equal(serverMayViewEvent({ serverName: 'b.org', event: change, historyVisibility: 'invited', memberships: members([]) }), false);
  });
});
