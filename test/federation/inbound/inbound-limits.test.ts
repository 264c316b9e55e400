import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InboundFederationLimits, type FederationRateLimitConfig } from '../../../src/federation/inbound/inbound-limits.js';
import { isMatrixError } from '../../../src/errors/index.js';

// rc_federation semantics against a fake clock: sleeping past sleep_limit, refusing past reject_limit with a
// retry_after_ms that says when the window frees up, at most `concurrent` requests running per origin, one
// transaction per origin at a time, and origins never sharing an allowance.

function limits(config: Partial<FederationRateLimitConfig> = {}) {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const l = new InboundFederationLimits(
    { windowSizeMs: 1000, sleepLimit: 10, sleepDelayMs: 500, rejectLimit: 50, concurrent: 3, ...config },
    { now: () => now, sleep: async (ms) => void sleeps.push(ms) },
  );
  return { l, sleeps, advance: (ms: number) => void (now += ms) };
}

const ok = async () => 'done';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('inbound federation limits (rc_federation)', () => {
  test('requests beyond sleep_limit in the window are delayed by sleep_delay', async () => {
    const { l, sleeps } = limits({ sleepLimit: 2, sleepDelayMs: 250 });
    for (let i = 0; i < 4; i++) await l.run('hs2.test', ok);
    assert.deepEqual(sleeps, [250, 250]);
  });

  test('requests beyond reject_limit get 429 M_LIMIT_EXCEEDED with the wait until the window frees up', async () => {
    const { l, advance } = limits({ rejectLimit: 3, sleepLimit: 100 });
    await l.run('hs2.test', ok);
    advance(400);
    await l.run('hs2.test', ok);
    await l.run('hs2.test', ok);
    await assert.rejects(l.run('hs2.test', ok), (err) => {
      assert.ok(isMatrixError(err));
      assert.equal(err.errcode, 'M_LIMIT_EXCEEDED');
      assert.equal(err.status, 429);
      assert.equal(err.extra.retry_after_ms, 600);
      return true;
    });
    // Another origin has its own allowance.
    assert.equal(await l.run('hs3.test', ok), 'done');
    // Once the oldest request leaves the window, there is room again.
    advance(600);
    assert.equal(await l.run('hs2.test', ok), 'done');
  });

  test('a refused request does not count against the window', async () => {
    const { l, advance } = limits({ rejectLimit: 1, sleepLimit: 100 });
    await l.run('hs2.test', ok);
    for (let i = 0; i < 5; i++) await assert.rejects(l.run('hs2.test', ok));
    advance(1000);
    assert.equal(await l.run('hs2.test', ok), 'done');
  });

  test('at most `concurrent` requests of an origin run at once; the others wait in order', async () => {
    const { l } = limits({ concurrent: 2, sleepLimit: 100 });
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      l.run('hs2.test', async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    const other = l.run('hs3.test', async () => 'other');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1]);
    assert.equal(await other, 'other', 'another origin is not held up');
    gates[1]?.resolve();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1, 2]);
    gates[0]?.resolve();
    gates[2]?.resolve();
    gates[3]?.resolve();
    assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3]);
    assert.deepEqual(started, [0, 1, 2, 3]);
  });

  test('a failing request frees its slot', async () => {
    const { l } = limits({ concurrent: 1, sleepLimit: 100 });
    await assert.rejects(l.run('hs2.test', async () => { throw new Error('boom'); }));
    assert.equal(await l.run('hs2.test', ok), 'done');
  });

  test('one transaction per origin: another txn meanwhile gets 429, a retry of the same shares its result', async () => {
    const { l } = limits();
    const gate = deferred();
    let runs = 0;
    const first = l.transaction('hs2.test', 't1', async () => {
      runs++;
      await gate.promise;
      return { pdus: { $a: {} } };
    });
    const retry = l.transaction('hs2.test', 't1', async () => {
      runs++;
      return { pdus: {} };
    });
    await assert.rejects(l.transaction('hs2.test', 't2', ok), (err) => isMatrixError(err) && err.status === 429 && err.errcode === 'M_LIMIT_EXCEEDED');
    assert.equal(await l.transaction('hs3.test', 't2', ok), 'done', 'other origins are independent');
    gate.resolve();
    assert.deepEqual(await first, { pdus: { $a: {} } });
    assert.deepEqual(await retry, { pdus: { $a: {} } });
    assert.equal(runs, 1);
    assert.equal(await l.transaction('hs2.test', 't2', ok), 'done', 'the next transaction runs once the first is done');
  });

  test('a transaction that fails frees the origin for the next one', async () => {
    const { l } = limits();
    await assert.rejects(l.transaction('hs2.test', 't1', async () => { throw new Error('db down'); }));
    assert.equal(await l.transaction('hs2.test', 't2', ok), 'done');
  });
});
