import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoalescedReads } from '../../../src/storage/knex/coalesced-reads.js';

// The batching behind the per-user reads of woken syncs: what one turn asks is loaded once, in order.

test('requests made in one turn are loaded together, each getting its own answer', async () => {
  const loads: number[][] = [];
  const reads = new CoalescedReads<number, string>(async (keys) => {
    loads.push([...keys]);
    return keys.map((k) => `v${k}`);
  }, 100);
  const answers = await Promise.all([reads.get(1), reads.get(2), reads.get(1), reads.get(3)]);
  assert.deepEqual(answers, ['v1', 'v2', 'v1', 'v3']);
  assert.deepEqual(loads, [[1, 2, 1, 3]]);
  // A later turn starts a new batch.
  assert.equal(await reads.get(4), 'v4');
  assert.deepEqual(loads, [[1, 2, 1, 3], [4]]);
});

test('requests made after awaits within the same turn join the batch; a batch is split at maxBatch', async () => {
  const loads: number[][] = [];
  const reads = new CoalescedReads<number, number>(async (keys) => {
    loads.push([...keys]);
    return keys.map((k) => k * 10);
  }, 2);
  const late = async (k: number) => {
    await Promise.resolve();
    await Promise.resolve();
    return reads.get(k);
  };
  assert.deepEqual(await Promise.all([reads.get(1), late(2), late(3)]), [10, 20, 30]);
  assert.deepEqual(loads, [[1, 2], [3]]);
});

test('a failed load rejects every request of its batch and no other', async () => {
  const reads = new CoalescedReads<number, number>(async (keys) => {
    if (keys.includes(0)) throw new Error('boom');
    return [...keys];
  }, 2);
  const results = await Promise.allSettled([reads.get(0), reads.get(1), reads.get(2)]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected', 'fulfilled'],
  );
});
