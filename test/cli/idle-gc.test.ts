import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { exposeGc, IDLE_GC_DEFAULTS, isIdle, shouldCollect, startIdleCollector, youngAllocationMeter, type IdleGcSample } from '../../src/cli/idle-gc.js';
import { createLogger } from '../../src/http/logger.js';

const MB = 1024 * 1024;
const logger = createLogger('error');

describe('idle garbage collection', () => {
  test('idle is a barely used loop and next to nothing allocated', () => {
    const o = IDLE_GC_DEFAULTS;
    assert.equal(isIdle({ utilization: 0.002, allocatedBytes: 22 * 1024 }, o), true, 'measured: a server alone, ~22 KB per 5 s');
    assert.equal(isIdle({ utilization: 0.009, allocatedBytes: 230 * 1024 }, o), true, 'measured: 10 long polls returning and renewed');
    assert.equal(isIdle({ utilization: 0.015, allocatedBytes: 2 * MB }, o), false, 'light traffic on a fast machine: the loop alone says idle');
    assert.equal(isIdle({ utilization: 0.01, allocatedBytes: Number.POSITIVE_INFINITY }, o), false, 'a scavenge in the interval');
    assert.equal(isIdle({ utilization: 0.05, allocatedBytes: 0 }, o), false, 'busy loop');
  });

  test('collects when idle with a grown heap; never under traffic, never for nothing', () => {
    const o = IDLE_GC_DEFAULTS;
    const s = (over: Partial<IdleGcSample>): IdleGcSample => ({ utilization: 0.01, allocatedBytes: 0, heapBytes: 40 * MB, baselineBytes: 20 * MB, youngBytes: MB, busySince: false, ...over });
    assert.equal(shouldCollect(s({}), o), true);
    assert.equal(shouldCollect(s({ utilization: 0.5 }), o), false, 'busy: V8 schedules its own');
    assert.equal(shouldCollect(s({ utilization: 0.08 }), o), false, 'light traffic gives nothing back');
    assert.equal(shouldCollect(s({ allocatedBytes: 3 * MB }), o), false, 'light traffic with the loop under 2 %');
    assert.equal(shouldCollect(s({ heapBytes: 22 * MB }), o), true, 'idle: a little growth is enough');
    assert.equal(shouldCollect(s({ heapBytes: 20.5 * MB }), o), false, 'idle, nothing to give back');
    assert.equal(shouldCollect(s({ heapBytes: 20.5 * MB, youngBytes: 32 * MB, busySince: true }), o), true, 'traffic since the last collection left the young generation grown');
    assert.equal(shouldCollect(s({ heapBytes: 20.5 * MB, youngBytes: 32 * MB, busySince: false }), o), false, 'grown young generation, but no traffic since we collected: V8 keeps it');
  });

  test('collects once per growth: the baseline moves to the heap after the collection', () => {
    let heap = 20 * MB;
    let collections = 0;
    let load = 0;
    const c = startIdleCollector({
      logger,
      gc: () => {
        collections++;
        heap = 21 * MB;
      },
      heapBytes: () => heap,
      // A young generation V8 shrank: growth alone decides here.
      youngBytes: () => MB,
      allocatedBytes: () => 0,
      utilization: () => ({ value: load, mark: performance.eventLoopUtilization() }),
    });
    try {
      load = 0.01;
      assert.equal(c.tick(), true, 'the first idle look collects what start-up left, grown or not');
      heap = 45 * MB;
      load = 0.6;
      assert.equal(c.tick(), false, 'no collection under load');
      load = 0.01;
      assert.equal(c.tick(), true);
      assert.equal(collections, 2);
      assert.equal(c.tick(), false, 'nothing grew since');
      heap = 21.5 * MB;
      assert.equal(c.tick(), false, 'below the threshold above the new baseline');
      heap = 23 * MB;
      assert.equal(c.tick(), true);
      assert.equal(collections, 3);
    } finally {
      c.stop();
    }
  });

  test('a shrink by V8 itself lowers the baseline, so later growth is measured from there', () => {
    let heap = 40 * MB;
    let collections = 0;
    let load = 0.5;
    const c = startIdleCollector({ logger, gc: () => collections++, heapBytes: () => heap, youngBytes: () => MB, allocatedBytes: () => 0, utilization: () => ({ value: load, mark: performance.eventLoopUtilization() }) });
    try {
      assert.equal(c.tick(), false, 'busy: not even start-up garbage');
      load = 0;
      assert.equal(c.tick(), true, 'start-up garbage');
      heap = 20 * MB;
      assert.equal(c.tick(), false);
      heap = 22 * MB;
      assert.equal(c.tick(), true, '2 MB above the low point, though below the start');
      assert.equal(collections, 2);
    } finally {
      c.stop();
    }
  });

  test('collects once more, still idle, while the young generation stays grown; not a third time, not under load', () => {
    let heap = 20 * MB;
    let young = 1 * MB;
    let collections = 0;
    let load = 0.01;
    const c = startIdleCollector({
      logger,
      gc: () => collections++,
      heapBytes: () => heap,
      youngBytes: () => young,
      allocatedBytes: () => 0,
      utilization: () => ({ value: load, mark: performance.eventLoopUtilization() }),
    });
    try {
      assert.equal(c.tick(), true, 'start-up garbage');
      assert.equal(c.tick(), false, 'young generation small: once is enough');
      heap = 60 * MB;
      young = 32 * MB;
      assert.equal(c.tick(), true, 'grown');
      heap = 50 * MB;
      assert.equal(c.tick(), true, 'the young generation kept its size: once more');
      assert.equal(c.tick(), false, 'not a third time');
      assert.equal(collections, 3);
      heap = 70 * MB;
      assert.equal(c.tick(), true, 'grown again');
      load = 0.3;
      assert.equal(c.tick(), false, 'traffic came back: not again under load');
      load = 0.01;
      heap = 75 * MB;
      assert.equal(c.tick(), true, 'grown since, idle again');
      young = 2 * MB;
      assert.equal(c.tick(), false, 'V8 shrank it itself');
      assert.equal(collections, 5);
    } finally {
      c.stop();
    }
  });

  test('light traffic that barely uses the loop is not idle; the first idle look after it collects, and once more', () => {
    // The run that left RSS at 105 MB: a fast machine served two chatting users with under 2 % of the loop, a
    // collection fell in a quiet moment 10 s before the traffic ended, and the heap had not grown 1 MB since.
    let heap = 20 * MB;
    let young = MB;
    let allocated = 20 * 1024;
    let collections = 0;
    const c = startIdleCollector({
      logger,
      gc: () => {
        collections++;
        heap = 50 * MB;
        // The second after the traffic finds V8's allocation rate low and shrinks the young generation.
        if (collections === 4) young = MB;
      },
      heapBytes: () => heap,
      youngBytes: () => young,
      allocatedBytes: () => allocated,
      utilization: () => ({ value: 0.01, mark: performance.eventLoopUtilization() }),
    });
    try {
      assert.equal(c.tick(), true, 'start-up garbage');
      heap = 60 * MB;
      young = 32 * MB;
      allocated = 3 * MB;
      assert.equal(c.tick(), false, 'traffic: 3 MB allocated in the interval');
      allocated = Number.POSITIVE_INFINITY;
      assert.equal(c.tick(), false, 'traffic: a scavenge in the interval');
      allocated = 400 * 1024;
      assert.equal(c.tick(), true, 'a quiet moment within the traffic, the heap grown');
      allocated = 3 * MB;
      heap = 50.5 * MB;
      assert.equal(c.tick(), false, 'traffic again');
      allocated = 20 * 1024;
      assert.equal(c.tick(), true, 'traffic over: the heap barely grew, the young generation did');
      assert.equal(c.tick(), true, 'once more, now that V8 measures a low allocation rate');
      assert.equal(young, MB);
      assert.equal(c.tick(), false, 'nothing left to give back');
      assert.equal(collections, 4);
    } finally {
      c.stop();
    }
  });

  test('a young generation V8 keeps after both collections is not collected for again and again', () => {
    let collections = 0;
    let allocated = 0;
    const c = startIdleCollector({
      logger,
      gc: () => collections++,
      heapBytes: () => 30 * MB,
      youngBytes: () => 16 * MB,
      allocatedBytes: () => allocated,
      utilization: () => ({ value: 0.01, mark: performance.eventLoopUtilization() }),
    });
    try {
      assert.equal(c.tick(), true, 'start-up garbage');
      assert.equal(c.tick(), true, 'once more');
      assert.equal(c.tick(), false, 'no traffic since, heap flat: the young generation stays V8\'s decision');
      allocated = 5 * MB;
      assert.equal(c.tick(), false, 'traffic');
      allocated = 0;
      assert.equal(c.tick(), true, 'idle after traffic');
      assert.equal(c.tick(), true, 'once more');
      for (let i = 0; i < 5; i++) assert.equal(c.tick(), false, 'then left alone');
      assert.equal(collections, 4);
    } finally {
      c.stop();
    }
  });

  test('the allocation meter counts what the young generation took in, and a scavenge as unknown', () => {
    const used = [100, 150, 150, 40, 90];
    let i = 0;
    const meter = youngAllocationMeter(() => used[i++]!);
    assert.deepEqual([meter(), meter(), meter(), meter()], [50, 0, Number.POSITIVE_INFINITY, 50]);
    const real = youngAllocationMeter();
    const junk: Array<{ i: number }> = [];
    for (let k = 0; k < 10_000; k++) junk.push({ i: k });
    const took = real();
    assert.ok(junk.length === 10_000 && took > 100 * 1024, `10,000 objects took ${took} bytes`);
  });

  test('the exposed gc really collects, without a global gc', () => {
    const gc = exposeGc();
    assert.equal((globalThis as { gc?: unknown }).gc, undefined);
    let junk: unknown[] | null = [];
    for (let i = 0; i < 300_000; i++) junk.push({ i, s: `x${i}` });
    const before = getHeapStatistics().used_heap_size;
    junk = null;
    gc();
    const after = getHeapStatistics().used_heap_size;
    assert.ok(after < before - 10 * MB, `used heap ${Math.round(before / MB)} -> ${Math.round(after / MB)} MB`);
  });

  test('the exposed gc gives back old-space pages that only a few survivors kept', () => {
    const gc = exposeGc();
    const space = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!;
    const kept = scatteredSurvivors(gc);
    const before = space().physical_space_size;
    gc();
    const after = space().physical_space_size;
    assert.equal(kept.length, 40_000);
    assert.ok(after < before - 30 * MB, `old space ${Math.round(before / MB)} -> ${Math.round(after / MB)} MB (${Math.round(space().space_used_size / MB)} MB used)`);
  });
});

/**
 * Fills old space with objects (a collection promotes them), then keeps one in twenty: every page holds a
 * survivor. Its own function, so that no frame of the test still holds the dropped arrays when it collects.
 */
function scatteredSurvivors(gc: () => void): Array<{ i: number; s: string }> {
  const all: Array<Array<{ i: number; s: string }>> = [];
  for (let r = 0; r < 40; r++) {
    const a: Array<{ i: number; s: string }> = [];
    for (let i = 0; i < 20_000; i++) a.push({ i, s: `x${i}` });
    all.push(a);
  }
  gc();
  const kept: Array<{ i: number; s: string }> = [];
  for (const a of all) for (let i = 0; i < a.length; i += 20) kept.push(a[i]!);
  return kept;
}
