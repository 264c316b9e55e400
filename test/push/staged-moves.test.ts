import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { CHECK_MS, MAX_DELAY_MS, MAX_ROWS, ROWS_PER_USER, StagedMoves } from '../../src/push/staged-moves.js';

// The clock and timers are mocked: the scheduler's decisions are checked at exact moments.
function harness(t: TestContext, results: number[] = []) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const moves: number[] = [];
  const moved = (): Promise<number> => Promise.resolve(results.shift() ?? 0);
  const scheduler = new StagedMoves(
    (maxRows) => {
      moves.push(Date.now());
      assert.equal(maxRows, MAX_ROWS);
      return moved();
    },
    () => Date.now(),
    (err) => assert.fail(String(err)),
  );
  const flush = () => new Promise<void>((r) => setImmediate(r));
  const advance = async (ms: number) => {
    for (let i = 0; i < ms; i += 50) {
      t.mock.timers.tick(50);
      await flush();
    }
  };
  return { scheduler, moves, advance };
}

const users = (n: number, prefix = 'u') => Array.from({ length: n }, (_, i) => `@${prefix}${i}:x`);

test("a busy small room's rows move at the first look, a big room's wait until enough per user or the longest wait", async (t) => {
  const { scheduler, moves, advance } = harness(t);
  // 50 members, each named by ROWS_PER_USER messages before the first look.
  for (let m = 0; m < ROWS_PER_USER; m++) scheduler.staged(users(50));
  await advance(CHECK_MS);
  assert.deepEqual(moves, [CHECK_MS]);

  // A 1,000-member room, one message: waits the longest wait (from its staging), looked at every CHECK_MS.
  const start = Date.now();
  scheduler.staged(users(1000));
  await advance(MAX_DELAY_MS - CHECK_MS);
  assert.deepEqual(moves, [CHECK_MS], 'not before the longest wait');
  await advance(CHECK_MS * 2);
  assert.equal(moves.length, 2);
  assert.ok((moves[1] as number) - start >= MAX_DELAY_MS && (moves[1] as number) - start <= MAX_DELAY_MS + CHECK_MS, `moved at ${moves[1]}`);
  await scheduler.close();
});

test('rows that reach enough per user between looks move at the next look', async (t) => {
  const { scheduler, moves, advance } = harness(t);
  scheduler.staged(users(10));
  await advance(CHECK_MS * 2);
  assert.deepEqual(moves, []);
  for (let m = 1; m < ROWS_PER_USER; m++) scheduler.staged(users(10));
  await advance(CHECK_MS);
  assert.deepEqual(moves, [CHECK_MS * 3]);
  await scheduler.close();
});

test('leftovers move at once; a full move is followed by the next at once; close stops the looks', async (t) => {
  const { scheduler, moves, advance } = harness(t, [MAX_ROWS, 10]);
  scheduler.moveNow();
  // The mocked timers fire on the first tick (50 ms): no wait, no look at the rows.
  await advance(100);
  assert.deepEqual(moves, [50, 100], 'the leftovers, then the rest of them');
  scheduler.staged(users(3));
  await scheduler.close();
  await advance(MAX_DELAY_MS * 2);
  assert.deepEqual(moves, [50, 100], 'nothing after close');
});

test('nothing staged, nothing moved', async (t) => {
  const { scheduler, moves, advance } = harness(t);
  await advance(MAX_DELAY_MS * 2);
  assert.deepEqual(moves, []);
  await scheduler.close();
});
