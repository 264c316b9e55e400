import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '../http/logger.js';

// A full garbage collection once the process falls idle with a heap that grew since the last one.
//
// V8 sizes its heap for throughput: after a burst of requests, or minutes of light traffic, it keeps the young
// generation grown to 2 x 16 MB and lets old space fill with dead request objects, because nothing forces a full
// collection while there is headroom, and nothing shrinks the heap afterwards. A server idling between chats then
// sits at ~120-140 MB of RSS, of which the live heap is ~20 MB. One full collection in an idle interval gives that
// back (measured: heap 60 -> 28 MB, RSS 122 -> 90 MB, a 25 ms pause). Collecting during light traffic gives
// nothing back: V8 keeps the young generation while allocation goes on. Under load we never collect; V8's own
// scheduling is right there and a forced collection would only add pauses.
//
// Idle is measured twice over: the event loop's utilisation and what the young generation took in. Utilisation
// alone cannot tell light traffic from idle on a fast machine (two users chatting a few times a second used under
// 2 % of the loop), and a collection during that traffic left the heap just under the growth threshold when the
// traffic ended, so no collection came after it (measured: RSS stuck at 105 MB instead of ~74).

export interface IdleGcOptions {
  /** How often to look, in ms. */
  intervalMs: number;
  /** Event-loop utilisation (0..1) over the last interval below which the process is idle (long polls waiting, nothing else). */
  idleUtilization: number;
  /** Collect once the heap's resident size is this many bytes above its low point since the last collection. */
  growthBytes: number;
  /** Collect once more, still idle, while the young generation holds more than this many bytes. */
  youngBytes: number;
  /**
   * Bytes allocated in the young generation over one interval below which the process is idle. V8 shrinks the
   * young generation only below ~1 MB/s of allocation; an idle server with long polls waiting takes in a few KB.
   */
  quietAllocationBytes: number;
}

export const IDLE_GC_DEFAULTS: IdleGcOptions = {
  intervalMs: 5_000,
  idleUtilization: 0.02,
  growthBytes: 1024 * 1024,
  youngBytes: 4 * 1024 * 1024,
  quietAllocationBytes: 1024 * 1024,
};

export interface IdleLook {
  /** Event-loop utilisation over the interval just ended. */
  utilization: number;
  /** Bytes allocated in the young generation over that interval (Infinity when a scavenge hid the count). */
  allocatedBytes: number;
}

export interface IdleGcSample extends IdleLook {
  /** The V8 heap's resident bytes now. */
  heapBytes: number;
  /**
   * The lowest resident size seen since the last collection, that collection's own result included: V8 gives
   * pages back some seconds after a collection, not during it, so the value right after it is not the floor.
   */
  baselineBytes: number;
  /** The young generation's resident bytes now. */
  youngBytes: number;
  /** Whether some interval since the last collection was not idle. */
  busySince: boolean;
}

/** Pure: whether the interval just ended was idle: the loop barely used, next to nothing allocated. */
export function isIdle(s: IdleLook, o: IdleGcOptions): boolean {
  return s.utilization < o.idleUtilization && s.allocatedBytes < o.quietAllocationBytes;
}

/**
 * Pure: whether to collect now: idle, and the heap grew since the last collection, or traffic since then left
 * the young generation grown (growth alone misses that when a collection came shortly before the traffic ended).
 */
export function shouldCollect(s: IdleGcSample, o: IdleGcOptions): boolean {
  if (!isIdle(s, o)) return false;
  return s.heapBytes - s.baselineBytes >= o.growthBytes || (s.busySince && s.youngBytes > o.youngBytes);
}

/**
 * Pure: whether to collect once more after an idle collection. V8 shrinks the young generation in a full
 * collection only once its measured allocation rate is low, and it measures the rate between collections: the
 * first idle collection still counts the traffic before it, and leaves the young generation at its grown size
 * (up to 2 x 16 MB); a second one, an idle interval later, finds the rate low and gives those pages back. Left
 * to itself V8's memory reducer does the same 20-30 s later (measured: RSS 123 -> 87 MB at 29 s).
 */
export function shouldCollectAgain(s: IdleLook & { youngBytes: number }, o: IdleGcOptions): boolean {
  return isIdle(s, o) && s.youngBytes > o.youngBytes;
}

/**
 * Counts what the young generation took in since the last call, from its used bytes: they only grow between
 * scavenges. When they fell, a scavenge emptied it in between, which takes megabytes of allocation unless the
 * space was nearly full: reported as Infinity (not idle), at worst one interval too careful.
 */
export function youngAllocationMeter(used: () => number = youngUsedBytes): () => number {
  let last = used();
  return () => {
    const now = used();
    const grew = now - last;
    last = now;
    return grew >= 0 ? grew : Number.POSITIVE_INFINITY;
  };
}

/** V8's young generation ("new space"): its used and its resident bytes. */
function newSpace(): { space_used_size: number; physical_space_size: number } | undefined {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
}

function youngUsedBytes(): number {
  return newSpace()?.space_used_size ?? 0;
}

/**
 * V8's `gc()`, without putting it on our global object: the flag exposes it in contexts created after it is set,
 * so a fresh context hands us its function. The flag changes nothing else.
 *
 * The collection it returns also compacts old space. A full collection frees dead objects but gives back only
 * pages left entirely empty, and after minutes of traffic most old-space pages keep a few survivors: measured
 * after 60 s of light traffic, old space held 25 MB of pages for ~18 MB of live objects, and a synthetic heap
 * with one survivor in twenty kept all of its 150 MB. Compaction moves the survivors together and releases the
 * rest. V8 decides per collection whether to compact, reading the flag as each one starts, so it is switched on
 * for ours alone; the cost is the pause (two full collections, tens of ms for our heap), which only an idle
 * process pays.
 */
export function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    // Compaction picks its pages from what the previous marking found live; a collection right after much
    // has died would leave those pages where they are. So: one to find what lives, one to compact.
    gc();
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      gc();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
  };
}

export interface IdleCollectorDeps {
  logger: Logger;
  options?: Partial<IdleGcOptions>;
  /** Test seams. */
  gc?: () => void;
  heapBytes?: () => number;
  /** The young generation's resident bytes. */
  youngBytes?: () => number;
  /** Bytes allocated in the young generation since the previous call. */
  allocatedBytes?: () => number;
  utilization?: (since: EventLoopUtilization | undefined) => { value: number; mark: EventLoopUtilization };
}

export interface IdleCollector {
  /** Looks once, as the timer does; returns whether it collected. */
  tick(): boolean;
  stop(): void;
}

export function startIdleCollector(deps: IdleCollectorDeps): IdleCollector {
  const o = { ...IDLE_GC_DEFAULTS, ...deps.options };
  const gc = deps.gc ?? exposeGc();
  const heapBytes = deps.heapBytes ?? (() => getHeapStatistics().total_physical_size);
  const youngBytes = deps.youngBytes ?? (() => newSpace()?.physical_space_size ?? 0);
  const allocatedBytes = deps.allocatedBytes ?? youngAllocationMeter();
  const utilization =
    deps.utilization ??
    ((since) => {
      const mark = performance.eventLoopUtilization();
      return { value: since ? performance.eventLoopUtilization(mark, since).utilization : 1, mark };
    });
  let baseline = heapBytes();
  let mark: EventLoopUtilization | undefined = utilization(undefined).mark;
  // Start-up (module initialisation, migrations, caches filled) leaves a young generation grown to ~8 MB and
  // dead objects in old space, all before this collector measures its first baseline; the first idle look
  // collects them (78 -> 67 MB RSS) instead of leaving it to V8's memory reducer, which did it 10-20 s after
  // start, or not before the first traffic.
  let startUpGarbage = true;
  /** The last look collected: the next, if still idle, may collect again (shouldCollectAgain). */
  let collectedLast = false;
  let busySince = false;

  const tick = (): boolean => {
    const u = utilization(mark);
    mark = u.mark;
    const look: IdleLook = { utilization: u.value, allocatedBytes: allocatedBytes() };
    const now = heapBytes();
    const young = youngBytes();
    // V8's own collections, and its delayed release after ours, lower the floor growth is counted from.
    baseline = Math.min(baseline, now);
    if (deps.logger.isLevelEnabled('trace')) {
      deps.logger.trace({ utilization: round(look.utilization, 4), allocatedKb: Number.isFinite(look.allocatedBytes) ? Math.round(look.allocatedBytes / 1024) : 'scavenged', heapMb: round(now / 1048576, 1), youngMb: round(young / 1048576, 1) }, 'idle look');
    }
    const idle = isIdle(look, o);
    const idleAfterStart = startUpGarbage && idle;
    const again = collectedLast && shouldCollectAgain({ ...look, youngBytes: young }, o);
    collectedLast = false;
    if (!idleAfterStart && !again && !shouldCollect({ ...look, heapBytes: now, baselineBytes: baseline, youngBytes: young, busySince }, o)) {
      busySince ||= !idle;
      return false;
    }
    startUpGarbage = false;
    busySince = false;
    // Once more at most: a young generation V8 keeps after that is its own decision.
    collectedLast = !again;
    const t0 = performance.now();
    gc();
    baseline = heapBytes();
    deps.logger.debug({ heapBeforeMb: Math.round(now / 1048576), heapAfterMb: Math.round(baseline / 1048576), ms: Math.round(performance.now() - t0) }, 'idle garbage collection');
    // The collection itself used the event loop and emptied the young generation; neither is the next interval's load.
    mark = utilization(undefined).mark;
    allocatedBytes();
    return true;
  };
  const timer = setInterval(tick, o.intervalMs);
  timer.unref();
  return { tick, stop: () => clearInterval(timer) };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
