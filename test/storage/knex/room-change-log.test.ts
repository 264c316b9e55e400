import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoomChangeLog, type RecordedEvent } from '../../../src/storage/knex/room-change-log.js';

// The in-memory answer to "which rooms got timeline events in (from, to]" must equal the database's for every
// range it claims to cover, and decline the rest.

const ev = (roomId: string, streamOrdering: number, extra: Partial<RecordedEvent> = {}) => ({
  roomId,
  events: [{ pdu: { type: 'm.room.message' }, streamOrdering, outlier: false, softFailed: false, rejectedReason: null, ...extra }],
});
const member = (roomId: string, userId: string, streamOrdering: number, extra: Partial<RecordedEvent> = {}) =>
  ev(roomId, streamOrdering, { pdu: { type: 'm.room.member', state_key: userId }, ...extra });

const sorted = (r: { changed: Set<string>; unsure: string[] } | null) => (r === null ? null : { changed: [...r.changed].sort(), unsure: [...r.unsure].sort() });

test('covers nothing before the first write, then everything from just below it', () => {
  const log = new RoomChangeLog();
  assert.equal(log.changedSince(['!a'], 0, 10), null);
  log.record([ev('!a', 11), ev('!b', 12)]);
  assert.equal(log.changedSince(['!a'], 9, 12), null, 'position 10 may hold an event from before');
  assert.deepEqual(sorted(log.changedSince(['!a', '!b', '!c'], 10, 12)), { changed: ['!a', '!b'], unsure: [] });
  assert.deepEqual(sorted(log.changedSince(['!a', '!b', '!c'], 11, 12)), { changed: ['!b'], unsure: [] });
  assert.deepEqual(sorted(log.changedSince(['!a', '!b'], 12, 20)), { changed: [], unsure: [] });
});

test('a room whose latest event is past the range is left to the database', () => {
  const log = new RoomChangeLog();
  log.record([ev('!a', 5)]);
  log.record([ev('!a', 9), ev('!b', 7)]);
  assert.deepEqual(sorted(log.changedSince(['!a', '!b'], 4, 8)), { changed: ['!b'], unsure: ['!a'] });
});

test('outliers, soft-failed, rejected and backfilled events are not timeline news', () => {
  const log = new RoomChangeLog();
  log.record([ev('!a', 3, { outlier: true }), ev('!b', 4, { softFailed: true }), ev('!c', 5, { rejectedReason: 'auth' }), ev('!d', -7)]);
  assert.deepEqual(sorted(log.changedSince(['!a', '!b', '!c', '!d'], 2, 10)), { changed: [], unsure: [] });
});

test('past its room bound it starts over from the latest position it saw', () => {
  const log = new RoomChangeLog(2);
  log.record([ev('!a', 1), ev('!b', 2)]);
  log.record([ev('!c', 3)]);
  assert.equal(log.changedSince(['!a'], 0, 3), null);
  assert.equal(log.changedSince(['!a'], 2, 3), null);
  log.record([ev('!a', 4)]);
  assert.deepEqual(sorted(log.changedSince(['!a', '!c'], 3, 4)), { changed: ['!a'], unsure: [] });
});

test('tells a user whose memberships did not change since a covered position', () => {
  const log = new RoomChangeLog();
  assert.equal(log.membershipsUnchangedSince('@a:x', 0), false, 'nothing covered before the first write');
  log.record([ev('!a', 5), member('!a', '@a:x', 6)]);
  assert.equal(log.membershipsUnchangedSince('@a:x', 3), false, 'below the floor');
  assert.equal(log.membershipsUnchangedSince('@a:x', 5), false, 'the join at 6 is after 5');
  assert.equal(log.membershipsUnchangedSince('@a:x', 6), true);
  assert.equal(log.membershipsUnchangedSince('@b:x', 4), true, 'no membership event of @b:x since the floor');
  // Outliers (a remote invite) and soft-failed events still count: the membership tables may hold them.
  log.record([member('!b', '@b:x', 7, { outlier: true }), member('!c', '@c:x', 8, { softFailed: true })]);
  assert.equal(log.membershipsUnchangedSince('@b:x', 6), false);
  assert.equal(log.membershipsUnchangedSince('@c:x', 7), false);
  assert.equal(log.membershipsUnchangedSince('@c:x', 8), true);
  // A member event's state key, not its sender, names the user.
  log.record([ev('!a', 9, { pdu: { type: 'm.room.member', state_key: '@d:x' } })]);
  assert.equal(log.membershipsUnchangedSince('@a:x', 8), true);
  assert.equal(log.membershipsUnchangedSince('@d:x', 8), false);
});

test('past its user bound it forgets memberships and starts over', () => {
  const log = new RoomChangeLog(2);
  log.record([member('!a', '@a:x', 1), member('!a', '@b:x', 2)]);
  log.record([member('!a', '@c:x', 3)]);
  assert.equal(log.membershipsUnchangedSince('@a:x', 2), false, 'positions before the restart are not covered');
  assert.equal(log.membershipsUnchangedSince('@a:x', 3), true);
});
