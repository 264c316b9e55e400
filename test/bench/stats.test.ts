import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percentile, slope } from '../../bench/lib/stats.js';
import { roomsOf } from '../../bench/scenarios/send.js';

test('percentile takes the nearest rank of unsorted samples', () => {
  const s = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  assert.equal(percentile(s, 50), 5);
  assert.equal(percentile(s, 99), 10);
  assert.equal(percentile(s, 0), 1);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('slope is the least-squares growth, zero for a flat series', () => {
  assert.equal(slope([[0, 100], [1, 100], [2, 100]]), 0);
  assert.ok(Math.abs(slope([[0, 10], [1, 12], [2, 14], [3, 16]]) - 2) < 1e-9);
  assert.equal(slope([[0, 1]]), 0);
});

test('sending clients split rooms without gaps: every client has a room, every room a client', () => {
  const rooms = Array.from({ length: 50 }, (_, i) => `!r${i}`);
  for (const clients of [1, 10, 50, 60]) {
    const owned = Array.from({ length: clients }, (_, i) => roomsOf(rooms, clients, i));
    assert.ok(owned.every((r) => r.length > 0));
    assert.equal(new Set(owned.flat()).size, Math.min(50, rooms.length));
  }
  assert.deepEqual(roomsOf(['!only'], 10, 7), ['!only']);
});
