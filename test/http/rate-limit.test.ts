import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../src/http/rate-limit.js';
import { isMatrixError } from '../../src/errors/index.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

test('a burst is allowed, then the next request is refused with the time until a token returns', () => {
  const c = clock();
  const rl = new RateLimiter({ message: { perSecond: 0.5, burstCount: 3 } }, { now: c.now });
  for (let i = 0; i < 3; i++) rl.check('message', '@a:x');
  assert.throws(
    () => rl.check('message', '@a:x'),
    (err: unknown) =>
      isMatrixError(err) && err.status === 429 && err.errcode === 'M_LIMIT_EXCEEDED' && err.extra.retry_after_ms === 2000,
  );
});

test('tokens come back at perSecond', () => {
  const c = clock();
  const rl = new RateLimiter({ message: { perSecond: 2, burstCount: 1 } }, { now: c.now });
  rl.check('message', '@a:x');
  assert.equal(rl.take('message', '@a:x'), 500);
  c.advance(499);
  assert.ok(rl.take('message', '@a:x') > 0);
  c.advance(1);
  assert.equal(rl.take('message', '@a:x'), 0);
});

test('requesters and actions have separate buckets', () => {
  const c = clock();
  const rl = new RateLimiter(
    { message: { perSecond: 1, burstCount: 1 }, login: { perSecond: 1, burstCount: 1 } },
    { now: c.now },
  );
  rl.check('message', '@a:x');
  rl.check('message', '@b:x');
  rl.check('login', '@a:x');
  assert.throws(() => rl.check('message', '@a:x'));
});

test('an action without configured limits, or with a zero rate, is not limited', () => {
  const rl = new RateLimiter({ off: { perSecond: 0, burstCount: 0 } });
  for (let i = 0; i < 100; i++) {
    rl.check('unconfigured', 'r');
    rl.check('off', 'r');
  }
});

test('a cost larger than one takes that many tokens', () => {
  const c = clock();
  const rl = new RateLimiter({ invites: { perSecond: 1, burstCount: 5 } }, { now: c.now });
  assert.equal(rl.take('invites', 'r', 4), 0);
  assert.equal(rl.take('invites', 'r', 2), 1000);
});

test('memory stays bounded: full buckets are dropped and the cap evicts the least recently used', () => {
  const c = clock();
  const rl = new RateLimiter({ m: { perSecond: 1, burstCount: 2 } }, { now: c.now, maxBuckets: 50 });
  for (let i = 0; i < 500; i++) rl.check('m', `user${i}`);
  assert.ok(rl.size <= 50, `size ${rl.size}`);
  // A bucket in use right now survives eviction and keeps what it was charged.
  rl.check('m', 'busy');
  rl.check('m', 'busy');
  for (let i = 0; i < 49; i++) rl.check('m', `other${i}`);
  assert.throws(() => rl.check('m', 'busy'));
  // After everything refills, a sweep drops all of it.
  c.advance(10_000);
  for (let i = 0; i < 1000; i++) rl.take('m', 'one');
  assert.ok(rl.size <= 2, `size ${rl.size}`);
});

test('assertAllowed refuses only when the bucket is empty, and never takes tokens', () => {
  const c = clock();
  const rl = new RateLimiter({ registration: { perSecond: 0.5, burstCount: 1 } }, { now: c.now });
  for (let i = 0; i < 5; i++) rl.assertAllowed('registration', 'addr');
  rl.check('registration', 'addr');
  assert.throws(
    () => rl.assertAllowed('registration', 'addr'),
    (e: unknown) => isMatrixError(e) && e.errcode === 'M_LIMIT_EXCEEDED' && e.extra.retry_after_ms === 2000,
  );
  c.advance(2000);
  rl.assertAllowed('registration', 'addr');
});
