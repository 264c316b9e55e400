import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypingTracker } from '../../src/sync/typing.js';
import type { StreamNotice } from '../../src/types/notices.js';

function tracker() {
  const published: StreamNotice[] = [];
  return { published, typing: new TypingTracker({ publish: (n) => published.push(n) }) };
}

test('typing starts, refreshes without a new position, and stops', () => {
  const { typing, published } = tracker();
  typing.setTyping('!r:x', '@a:x', true, 10_000);
  assert.deepEqual(typing.typingUsers('!r:x'), ['@a:x']);
  assert.equal(typing.currentPosition(), 1);
  typing.setTyping('!r:x', '@a:x', true, 10_000);
  assert.equal(typing.currentPosition(), 1);
  typing.setTyping('!r:x', '@a:x', false);
  assert.deepEqual(typing.typingUsers('!r:x'), []);
  assert.equal(typing.currentPosition(), 2);
  assert.deepEqual(published.map((n) => [n.stream, n.position, n.roomIds]), [
    ['typing', 1, ['!r:x']],
    ['typing', 2, ['!r:x']],
  ]);
  typing.close();
});

test('typing expires after its timeout', async () => {
  const { typing } = tracker();
  typing.setTyping('!r:x', '@a:x', true, 30);
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(typing.typingUsers('!r:x'), []);
  assert.equal(typing.currentPosition(), 2);
  typing.close();
});

test('changedRooms reports rooms changed after a position, and everything for a position from before a restart', () => {
  const { typing } = tracker();
  typing.setTyping('!a:x', '@a:x', true);
  typing.setTyping('!b:x', '@a:x', true);
  assert.deepEqual(typing.changedRooms(['!a:x', '!b:x', '!c:x'], 1), ['!b:x']);
  assert.deepEqual(typing.changedRooms(['!a:x', '!b:x'], 0), ['!a:x', '!b:x']);
  assert.deepEqual(typing.changedRooms(['!a:x', '!b:x'], 99), ['!a:x', '!b:x']);
  typing.close();
});

test('changedRooms leaves a room changed after the sync took its position to the next sync', () => {
  const { typing } = tracker();
  typing.setTyping('!a:x', '@a:x', true);
  const taken = typing.currentPosition();
  // The sync took its position; then a typing notice lands before it reads the rooms.
  typing.setTyping('!b:x', '@a:x', true);
  assert.deepEqual(typing.changedRooms(['!a:x', '!b:x'], 0, taken), ['!a:x']);
  // The next sync, from that position, gets it.
  assert.deepEqual(typing.changedRooms(['!a:x', '!b:x'], taken, typing.currentPosition()), ['!b:x']);
  typing.close();
});
