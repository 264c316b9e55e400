import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { SyncNotifier } from '../../src/sync/notifier.js';
import { createInProcessNoticeHub } from '../../src/workers/notice-hub.js';

function setup() {
  const hub = createInProcessNoticeHub(pino({ level: 'silent' }));
  return { hub, notifier: new SyncNotifier(hub) };
}

test('a waiter is woken by a notice for one of its rooms', async () => {
  const { hub, notifier } = setup();
  const seq = notifier.sequence();
  const p = notifier.wait({ userId: '@a:x', roomIds: ['!r:x'], afterSequence: seq, timeoutMs: 5000 });
  assert.equal(notifier.waiterCount(), 1);
  hub.publish({ stream: 'events', position: 1, roomIds: ['!other:x'] });
  assert.equal(notifier.waiterCount(), 1, 'a notice for another room does not wake it');
  hub.publish({ stream: 'events', position: 2, roomIds: ['!r:x'] });
  assert.equal(await p, 'notified');
  assert.equal(notifier.waiterCount(), 0);
});

test('a waiter is woken by a notice naming its user', async () => {
  const { hub, notifier } = setup();
  const p = notifier.wait({ userId: '@a:x', roomIds: [], afterSequence: notifier.sequence(), timeoutMs: 5000 });
  hub.publish({ stream: 'account_data', position: 1, userIds: ['@a:x'] });
  assert.equal(await p, 'notified');
});

test('a notice published between computing and waiting is not lost', async () => {
  const { hub, notifier } = setup();
  const seq = notifier.sequence();
  hub.publish({ stream: 'events', position: 1, roomIds: ['!r:x'] });
  const started = Date.now();
  assert.equal(await notifier.wait({ userId: '@a:x', roomIds: ['!r:x'], afterSequence: seq, timeoutMs: 5000 }), 'notified');
  assert.ok(Date.now() - started < 100);
  // An unrelated notice in the window does not end the wait.
  const seq2 = notifier.sequence();
  hub.publish({ stream: 'events', position: 2, roomIds: ['!z:x'] });
  assert.equal(await notifier.wait({ userId: '@a:x', roomIds: ['!r:x'], afterSequence: seq2, timeoutMs: 30 }), 'timeout');
});

test('the wait ends at its timeout and on abort, and cleans up', async () => {
  const { notifier } = setup();
  assert.equal(await notifier.wait({ userId: '@a:x', roomIds: ['!r:x'], afterSequence: notifier.sequence(), timeoutMs: 20 }), 'timeout');
  const ac = new AbortController();
  const p = notifier.wait({ userId: '@a:x', roomIds: ['!r:x'], afterSequence: notifier.sequence(), timeoutMs: 5000, signal: ac.signal });
  ac.abort();
  assert.equal(await p, 'aborted');
  assert.equal(notifier.waiterCount(), 0);
});

test('close releases every waiter', async () => {
  const { notifier } = setup();
  const p = notifier.wait({ userId: '@a:x', roomIds: ['!r:x'], afterSequence: notifier.sequence(), timeoutMs: 5000 });
  notifier.close();
  assert.equal(await p, 'closed');
});

test('a room notice wakes 1,000 waiters in that room quickly and leaves others waiting', async () => {
  const { hub, notifier } = setup();
  const seq = notifier.sequence();
  const inRoom = Array.from({ length: 1000 }, (_, i) =>
    notifier.wait({ userId: `@u${i}:x`, roomIds: ['!big:x', `!dm${i}:x`], afterSequence: seq, timeoutMs: 10_000 }),
  );
  const other = notifier.wait({ userId: '@o:x', roomIds: ['!small:x'], afterSequence: seq, timeoutMs: 50 });
  const t0 = performance.now();
  hub.publish({ stream: 'events', position: 1, roomIds: ['!big:x'] });
  const outcomes = await Promise.all(inRoom);
  const ms = performance.now() - t0;
  assert.ok(outcomes.every((o) => o === 'notified'));
  assert.ok(ms < 500, `fan-out took ${ms} ms`);
  assert.equal(await other, 'timeout');
  assert.equal(notifier.waiterCount(), 0);
});

test('a notice waking many waiters settles them in batches, letting the event loop turn in between', async () => {
  const { hub, notifier } = setup();
  const seq = notifier.sequence();
  const order: string[] = [];
  const waits = Array.from({ length: 200 }, (_, i) =>
    notifier.wait({ userId: `@u${i}:x`, roomIds: ['!big:x'], afterSequence: seq, timeoutMs: 10_000 }).then((o) => {
      order.push('woken');
      return o;
    }),
  );
  hub.publish({ stream: 'events', position: 1, roomIds: ['!big:x'] });
  const settledAtOnce = 200 - notifier.waiterCount();
  assert.ok(settledAtOnce > 0 && settledAtOnce < 200, `a first batch settles at once (${settledAtOnce} did)`);
  setImmediate(() => order.push('other work'));
  const outcomes = await Promise.all(waits);
  assert.ok(outcomes.every((o) => o === 'notified'));
  assert.equal(notifier.waiterCount(), 0);
  const other = order.indexOf('other work');
  assert.ok(other > 0 && other < order.length - 1, 'work queued during the wake-up ran between two batches');
});

test('close while a wake-up is still going through its batches releases the rest as closed', async () => {
  const { hub, notifier } = setup();
  const seq = notifier.sequence();
  const waits = Array.from({ length: 200 }, (_, i) =>
    notifier.wait({ userId: `@u${i}:x`, roomIds: ['!big:x'], afterSequence: seq, timeoutMs: 10_000 }),
  );
  hub.publish({ stream: 'events', position: 1, roomIds: ['!big:x'] });
  notifier.close();
  const outcomes = await Promise.all(waits);
  assert.ok(outcomes.includes('notified') && outcomes.includes('closed'));
  assert.equal(outcomes.filter((o) => o === 'notified').length + outcomes.filter((o) => o === 'closed').length, 200);
  assert.equal(notifier.waiterCount(), 0);
});
