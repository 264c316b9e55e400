// Coalesces the reads that many concurrent room builders of one /sync ask for into one load per kind.
//
// The builders of an initial sync's rooms run side by side; each asks for, say, its timeline slice and then
// waits. Requests are collected until the current round of work has settled (setImmediate runs after every
// promise continuation that is ready), then loaded together: every builder that reached the same step is in
// the same batch. Answers are remembered per key for the life of the loader (one sync computation), so two
// builders or two steps asking the same thing share one read.

interface Waiting<V> {
  resolve(value: V): void;
  reject(err: unknown): void;
}

export class BatchLoader<R, V> {
  private readonly memo = new Map<string, Promise<V>>();
  private queue: Array<{ request: R; waiting: Waiting<V> }> = [];
  private scheduled = false;

  /** `load` answers the requests in the order given. */
  constructor(
    private readonly keyOf: (request: R) => string,
    private readonly load: (requests: R[]) => Promise<V[]>,
  ) {}

  get(request: R): Promise<V> {
    const key = this.keyOf(request);
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const promise = new Promise<V>((resolve, reject) => this.queue.push({ request, waiting: { resolve, reject } }));
    this.memo.set(key, promise);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return promise;
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    let loading: Promise<V[]>;
    try {
      loading = this.load(batch.map((b) => b.request));
    } catch (err) {
      loading = Promise.reject(err);
    }
    loading.then(
      (values) => {
        batch.forEach((b, i) => b.waiting.resolve(values[i] as V));
      },
      (err: unknown) => {
        // A failed read is not remembered: a later ask tries again.
        for (const b of batch) {
          this.memo.delete(this.keyOf(b.request));
          b.waiting.reject(err);
        }
      },
    );
  }
}

/** Runs `each` over `items` side by side (so their reads coalesce), in waves of `wave`; results in order. */
export async function inWaves<T, U>(items: readonly T[], wave: number, each: (item: T) => Promise<U>): Promise<U[]> {
  const out: U[] = [];
  for (let i = 0; i < items.length; i += wave) out.push(...(await Promise.all(items.slice(i, i + wave).map(each))));
  return out;
}
