import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GapRateLimiter } from '../../../src/federation/rooms/fill-gap.js';

// Gap filling is rate limited per room and origin: a server that keeps sending events with unknown prev events
// cannot make us ask it (or fetch state from it) without bound.

test('at most `max` gap fills per room and origin within the window, counted separately per pair', () => {
  let now = 1_000_000;
  const limiter = new GapRateLimiter(() => now, 3, 60_000);
  for (let i = 0; i < 3; i++) assert.equal(limiter.tryTake('!a:x', 'evil.example'), true);
  assert.equal(limiter.tryTake('!a:x', 'evil.example'), false);
  // Other rooms and other origins have their own budget.
  assert.equal(limiter.tryTake('!b:x', 'evil.example'), true);
  assert.equal(limiter.tryTake('!a:x', 'good.example'), true);
  // The window slides.
  now += 60_001;
  assert.equal(limiter.tryTake('!a:x', 'evil.example'), true);
});
