import type { RoomId, UserId } from '../types/ids.js';
import type { NoticeSource, StreamNotice } from '../types/notices.js';

/*
 * Wakes waiting /sync long-polls when a stream advances for something they care about.
 *
 * Waiters are indexed by user and by room, so a notice costs O(waiters it concerns), not O(all waiters):
 * a message in a room with 1,000 waiting members touches exactly those 1,000. Nothing polls: a waiter is a
 * promise resolved by the notice handler, by its timer, or by its AbortSignal (client disconnect).
 *
 * Lost wake-ups: a sync computes its answer (async), then waits. A notice published in between must not be
 * missed, so every notice gets a sequence number and the last RING_SIZE notices are kept. The caller takes
 * `sequence()` BEFORE computing; `wait()` first replays the notices after that sequence and returns at once
 * when one concerns it (or when the ring no longer reaches back that far).
 *
 * Notices are published only after commit (see types/notices.ts), so a woken sync always sees the data.
 */

const RING_SIZE = 4096;

/*
 * A notice that wakes many long-polls (a message in a big room) settles them WAKE_BATCH at a time, the next
 * batch once the event loop has gone round (setImmediate). Settled all at once, the thousand woken syncs ran
 * interleaved step by step, so all of them held their half-built answers at the same time and finished
 * together at the end: no answer left the server before the last one was built. In batches, the first
 * answers are on the wire while later ones are built, other requests get their turn in between, and less is
 * alive per garbage collection. Fan-out to 1,000 long-polls, `npm run bench -- --only wake` on SQLite, median
 * of 7 messages, two runs each way: every member had it after 206 / 205 ms all at once, 155 / 138 ms in
 * batches of 32; half of them after 160 / 160 ms and 101 / 88 ms. Batches of 8 and of 128 did worse than 32
 * (bench/profile-fanout.ts).
 */
const WAKE_BATCH = 32;

export type WaitOutcome = 'notified' | 'timeout' | 'aborted' | 'closed';

export interface WaitRequest {
  userId: UserId;
  roomIds: Iterable<RoomId>;
  /** `sequence()` taken before the answer being waited on was computed. */
  afterSequence: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

interface Waiter {
  readonly userId: UserId;
  readonly roomIds: readonly RoomId[];
  settle(outcome: WaitOutcome): void;
}

export class SyncNotifier {
  private readonly byUser = new Map<UserId, Set<Waiter>>();
  private readonly byRoom = new Map<RoomId, Set<Waiter>>();
  private readonly ring: Array<StreamNotice | undefined> = new Array<StreamNotice | undefined>(RING_SIZE);
  private seq = 0;
  private unsubscribe: (() => void) | null;
  private waiting = 0;

  constructor(source: NoticeSource) {
    this.unsubscribe = source.subscribe((n) => this.onNotice(n));
  }

  /** Sequence number of the latest notice; pass it to wait() as `afterSequence`. */
  sequence(): number {
    return this.seq;
  }

  /** Number of long-polls currently waiting (for tests and metrics). */
  waiterCount(): number {
    return this.waiting;
  }

  wait(req: WaitRequest): Promise<WaitOutcome> {
    if (this.unsubscribe === null) return Promise.resolve('closed');
    if (req.signal?.aborted) return Promise.resolve('aborted');
    const roomIds = [...req.roomIds];
    if (this.missedSince(req.afterSequence, req.userId, new Set(roomIds))) return Promise.resolve('notified');
    if (req.timeoutMs <= 0) return Promise.resolve('timeout');

    return new Promise<WaitOutcome>((resolve) => {
      let done = false;
      const onAbort = () => waiter.settle('aborted');
      const timer = setTimeout(() => waiter.settle('timeout'), req.timeoutMs);
      const waiter: Waiter = {
        userId: req.userId,
        roomIds,
        settle: (outcome) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          req.signal?.removeEventListener('abort', onAbort);
          this.remove(waiter);
          resolve(outcome);
        },
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      this.add(waiter);
    });
  }

  /** Stops listening and releases every waiter (shutdown). */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const all = new Set<Waiter>();
    for (const set of this.byUser.values()) for (const w of set) all.add(w);
    for (const w of all) w.settle('closed');
  }

  private onNotice(n: StreamNotice): void {
    this.seq += 1;
    this.ring[this.seq % RING_SIZE] = n;
    const hasKeys = (n.roomIds?.length ?? 0) > 0 || (n.userIds?.length ?? 0) > 0;
    if (!hasKeys) {
      // A notice that names nobody concerns everybody (rare: server-wide changes).
      const all = new Set<Waiter>();
      for (const set of this.byUser.values()) for (const w of set) all.add(w);
      settleInBatches([...all]);
      return;
    }
    // Collect first: settling removes waiters from the sets being iterated.
    const woken: Waiter[] = [];
    for (const u of n.userIds ?? []) {
      const set = this.byUser.get(u);
      if (set) woken.push(...set);
    }
    for (const r of n.roomIds ?? []) {
      const set = this.byRoom.get(r);
      if (set) woken.push(...set);
    }
    settleInBatches(woken);
  }

  private missedSince(afterSeq: number, userId: UserId, roomIds: ReadonlySet<RoomId>): boolean {
    if (afterSeq >= this.seq) return false;
    if (this.seq - afterSeq >= RING_SIZE) return true;
    for (let s = afterSeq + 1; s <= this.seq; s++) {
      const n = this.ring[s % RING_SIZE];
      if (!n) continue;
      if ((n.roomIds?.length ?? 0) === 0 && (n.userIds?.length ?? 0) === 0) return true;
      if (n.userIds?.includes(userId)) return true;
      if (n.roomIds?.some((r) => roomIds.has(r))) return true;
    }
    return false;
  }

  private add(w: Waiter): void {
    this.waiting += 1;
    addTo(this.byUser, w.userId, w);
    for (const r of w.roomIds) addTo(this.byRoom, r, w);
  }

  private remove(w: Waiter): void {
    this.waiting -= 1;
    removeFrom(this.byUser, w.userId, w);
    for (const r of w.roomIds) removeFrom(this.byRoom, r, w);
  }
}

/**
 * Settles `woken` as notified, WAKE_BATCH now and each further batch on a later turn of the event loop.
 * Waiters not yet reached stay registered, so close(), their timer or their abort may settle them first;
 * settling twice does nothing.
 */
function settleInBatches(woken: readonly Waiter[]): void {
  let next = 0;
  const settleBatch = () => {
    const end = Math.min(woken.length, next + WAKE_BATCH);
    for (; next < end; next++) (woken[next] as Waiter).settle('notified');
    if (next < woken.length) setImmediate(settleBatch);
  };
  settleBatch();
}

function addTo<K>(map: Map<K, Set<Waiter>>, key: K, w: Waiter): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(w);
}

function removeFrom<K>(map: Map<K, Set<Waiter>>, key: K, w: Waiter): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(w);
  if (set.size === 0) map.delete(key);
}
