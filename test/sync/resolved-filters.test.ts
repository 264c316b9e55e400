import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFilterValidator } from '../../src/sync/filter.js';
import { ResolvedFilters } from '../../src/sync/resolved-filters.js';
import { MatrixError } from '../../src/errors/index.js';
import type { UserDataStore } from '../../src/storage/interfaces/index.js';

// Resolved /sync filters are kept per inline string and per (user, filter id); stored ids never leak
// between users, and bad filters keep failing.

test('stored filter ids are per user and read once; inline filters are parsed once; bad ones keep failing', async () => {
  const reads: string[] = [];
  const stored = new Map([
    ['@a:x 0', { room: { timeline: { limit: 1 } } }],
    ['@b:x 0', { room: { timeline: { limit: 2 } } }],
  ]);
  const userData = {
    async getFilter(userId: string, id: number) {
      reads.push(`${userId} ${id}`);
      return stored.get(`${userId} ${id}`);
    },
  } as unknown as UserDataStore;
  const filters = new ResolvedFilters(userData, createFilterValidator());
  assert.equal((await filters.resolve('@a:x', '0')).room?.timeline?.limit, 1);
  assert.equal((await filters.resolve('@b:x', '0')).room?.timeline?.limit, 2);
  assert.equal((await filters.resolve('@a:x', '0')).room?.timeline?.limit, 1);
  assert.deepEqual(reads, ['@a:x 0', '@b:x 0']);
  await assert.rejects(filters.resolve('@c:x', '0'), (e: unknown) => e instanceof MatrixError && e.errcode === 'M_INVALID_PARAM');

  const inline = '{"room":{"timeline":{"limit":3}}}';
  assert.equal(await filters.resolve('@a:x', inline), await filters.resolve('@b:x', inline));
  for (let i = 0; i < 2; i++) {
    await assert.rejects(filters.resolve('@a:x', '{"room":{"timeline":{"limit":"x"}}}'), (e: unknown) => e instanceof MatrixError && e.errcode === 'M_BAD_JSON');
    await assert.rejects(filters.resolve('@a:x', '{nope'), (e: unknown) => e instanceof MatrixError && e.errcode === 'M_NOT_JSON');
  }
  assert.deepEqual(await filters.resolve('@a:x', undefined), {});
});
