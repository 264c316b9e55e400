import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MembershipRow } from '../../../src/storage/interfaces/index.js';
import { UserRoomsCache } from '../../../src/storage/knex/user-rooms-cache.js';

const row = (roomId: string, userId = '@a:x', membership: MembershipRow['membership'] = 'join'): MembershipRow => ({ roomId, userId, membership, eventId: `$${roomId}`, streamOrdering: 1 });

test('answers from a completed read until a commit changes the user', () => {
  const cache = new UserRoomsCache();
  assert.equal(cache.get('@a:x'), undefined);
  cache.fill(cache.startRead(), '@a:x', [row('!r')]);
  assert.deepEqual(cache.get('@a:x'), [row('!r')]);
  cache.invalidate(['@b:x']);
  assert.deepEqual(cache.get('@a:x'), [row('!r')], 'another user changed');
  cache.invalidate(['@a:x']);
  assert.equal(cache.get('@a:x'), undefined);
});

test('a read that ran while memberships were written does not fill', () => {
  const cache = new UserRoomsCache();
  const started = cache.startRead();
  cache.invalidate(['@a:x']); // committed while the read ran: the read may hold the rows from before it
  cache.fill(started, '@a:x', [row('!old')]);
  assert.equal(cache.get('@a:x'), undefined);
  cache.fill(cache.startRead(), '@a:x', [row('!new')]);
  assert.deepEqual(cache.get('@a:x'), [row('!new')]);
});

test('hands out copies: a caller changing its rows changes nobody else', () => {
  const cache = new UserRoomsCache();
  const rows = [row('!r')];
  cache.fill(cache.startRead(), '@a:x', rows);
  (rows[0] as MembershipRow).membership = 'leave';
  const got = cache.get('@a:x') as MembershipRow[];
  assert.equal(got[0]?.membership, 'join');
  (got[0] as MembershipRow).membership = 'ban';
  assert.equal(cache.get('@a:x')?.[0]?.membership, 'join');
});

test('past its row bound it starts over', () => {
  const cache = new UserRoomsCache(3);
  cache.fill(cache.startRead(), '@a:x', [row('!1'), row('!2')]);
  cache.fill(cache.startRead(), '@b:x', [row('!3', '@b:x'), row('!4', '@b:x')]);
  assert.equal(cache.get('@a:x'), undefined);
  assert.equal(cache.get('@b:x')?.length, 2);
  cache.fill(cache.startRead(), '@c:x', [row('!5', '@c:x'), row('!6', '@c:x'), row('!7', '@c:x'), row('!8', '@c:x')]);
  assert.equal(cache.get('@c:x'), undefined, 'a user with more rows than the bound is never kept');
});
