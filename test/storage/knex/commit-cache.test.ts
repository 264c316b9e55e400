import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MembershipRow } from '../../../src/storage/interfaces/index.js';
import { CommitCache } from '../../../src/storage/knex/commit-cache.js';

const row = (roomId: string, userId = '@a:x', membership: MembershipRow['membership'] = 'join'): MembershipRow => ({ roomId, userId, membership, eventId: `$${roomId}`, streamOrdering: 1 });
const rowsCache = (maxWeight = 1000) =>
  new CommitCache<string, MembershipRow[]>({ weigh: (rows) => rows.length, copy: (rows) => rows.map((r) => ({ ...r })), maxWeight });

test('answers from a completed read until a commit changes the key', () => {
  const cache = rowsCache();
  assert.equal(cache.get('@a:x'), undefined);
  cache.fill(cache.startRead(), '@a:x', [row('!r')]);
  assert.deepEqual(cache.get('@a:x'), [row('!r')]);
  cache.invalidate(['@b:x']);
  assert.deepEqual(cache.get('@a:x'), [row('!r')], 'another key changed');
  cache.invalidate(['@a:x']);
  assert.equal(cache.get('@a:x'), undefined);
});

test('a read that ran while entries were dropped does not fill', async () => {
  const cache = rowsCache();
  const started = cache.startRead();
  cache.invalidate(['@a:x']); // committed while the read ran: the read may hold the rows from before it
  cache.fill(started, '@a:x', [row('!old')]);
  assert.equal(cache.get('@a:x'), undefined);
  let release: (rows: MembershipRow[]) => void = () => undefined;
  const reading = cache.through('@a:x', () => new Promise((r) => (release = r)));
  cache.invalidate(['@z:x']);
  release([row('!stale')]);
  assert.deepEqual(await reading, [row('!stale')], 'the reader still gets its answer');
  assert.equal(cache.get('@a:x'), undefined, 'but it is not kept');
  assert.deepEqual(await cache.through('@a:x', async () => [row('!new')]), [row('!new')]);
  assert.deepEqual(await cache.through('@a:x', async () => assert.fail('answered from memory')), [row('!new')]);
});

test('hands out copies: a caller changing its value changes nobody else', () => {
  const cache = rowsCache();
  const rows = [row('!r')];
  cache.fill(cache.startRead(), '@a:x', rows);
  (rows[0] as MembershipRow).membership = 'leave';
  const got = cache.get('@a:x') as MembershipRow[];
  assert.equal(got[0]?.membership, 'join');
  (got[0] as MembershipRow).membership = 'ban';
  assert.equal(cache.get('@a:x')?.[0]?.membership, 'join');
});

test('past its weight bound it starts over, and never keeps a value heavier than the bound', () => {
  const cache = rowsCache(3);
  cache.fill(cache.startRead(), '@a:x', [row('!1'), row('!2')]);
  cache.fill(cache.startRead(), '@b:x', [row('!3', '@b:x'), row('!4', '@b:x')]);
  assert.equal(cache.get('@a:x'), undefined);
  assert.equal(cache.get('@b:x')?.length, 2);
  cache.fill(cache.startRead(), '@c:x', [row('!5', '@c:x'), row('!6', '@c:x'), row('!7', '@c:x'), row('!8', '@c:x')]);
  assert.equal(cache.get('@c:x'), undefined);
});
