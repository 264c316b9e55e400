import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { exposeGc, IDLE_GC_DEFAULTS, shouldCollect, startIdleCollector } from '../../src/cli/idle-gc.js';
import { createLogger } from '../../src/http/logger.js';

const MB = 1024 * 1024;
const logger = createLogger('error');

describe('idle garbage collection', () => {
  test('collects when idle with a grown heap; never under traffic, never for nothing', () => {
    const o = IDLE_GC_DEFAULTS;
    assert.equal(shouldCollect({ utilization: 0.01, heapBytes: 40 * MB, baselineBytes: 20 * MB }, o), true);
    assert.equal(shouldCollect({ utilization: 0.5, heapBytes: 40 * MB, baselineBytes: 20 * MB }, o), false, 'busy: V8 schedules its own');
    assert.equal(shouldCollect({ utilization: 0.08, heapBytes: 40 * MB, baselineBytes: 20 * MB }, o), false, 'light traffic gives nothing back');
    assert.equal(shouldCollect({ utilization: 0.01, heapBytes: 22 * MB, baselineBytes: 20 * MB }, o), true, 'idle: a little growth is enough');
    assert.equal(shouldCollect({ utilization: 0.01, heapBytes: 20.5 * MB, baselineBytes: 20 * MB }, o), false, 'idle, nothing to give back');
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
    const c = startIdleCollector({ logger, gc: () => collections++, heapBytes: () => heap, youngBytes: () => MB, utilization: () => ({ value: load, mark: performance.eventLoopUtilization() }) });
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
