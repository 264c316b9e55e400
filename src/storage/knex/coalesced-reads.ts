/*
 * Per-user reads asked for in the same event-loop turn, answered by one query.
 *
 * One message wakes the long-polls of every member of its room at once, and each woken /sync asks the same
 * per-user questions (the user's memberships, their unread counts' rows, their device's one-time-key counts).
 * Asked one by one, 1,000 woken members cost 1,000 statements of each kind (and on PostgreSQL as many round
 * trips). Here the requests of one turn are collected and `load` answers them all with one statement per
 * kind (per chunk of `maxBatch`).
 *
 * Why this is safe: nothing is cached. A request is answered by a query that starts after the request was
 * made, so it sees every write committed before it was asked, as a query of its own would. A request that is
 * alone in its turn is answered by `load` with one request (which the stores answer with their plain query).
 */

interface Pending<K, V> {
  key: K;
  resolve: (value: V) => void;
  reject: (err: unknown) => void;
}

/** Answers a batch: one value per key, in the order of `keys`. */
export type BatchLoad<K, V> = (keys: readonly K[]) => Promise<V[]>;

export class CoalescedReads<K, V> {
  private queue: Pending<K, V>[] = [];

  constructor(
    private readonly load: BatchLoad<K, V>,
    private readonly maxBatch: number,
  ) {}

  get(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      // setImmediate runs once the turn's promise continuations have run, so every sync woken by the same
      // notice has reached its read by then.
      if (this.queue.length === 0) setImmediate(() => this.flush());
      this.queue.push({ key, resolve, reject });
    });
  }

  private flush(): void {
    const queue = this.queue;
    this.queue = [];
    for (let i = 0; i < queue.length; i += this.maxBatch) void this.run(queue.slice(i, i + this.maxBatch));
  }

  private async run(batch: Pending<K, V>[]): Promise<void> {
    try {
      const values = await this.load(batch.map((p) => p.key));
      batch.forEach((p, i) => p.resolve(values[i] as V));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}

/** Groups `items` by `groupOf`, in their order: a batch's rows handed back to the requests they answer. */
export function groupBy<T>(items: readonly T[], groupOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const g = groupOf(item);
    const list = groups.get(g);
    if (list) list.push(item);
    else groups.set(g, [item]);
  }
  return groups;
}

/** Groups `keys` by `groupOf`, keeping each key's index, so a batch load can run one query per group. */
export function groupKeys<K>(keys: readonly K[], groupOf: (key: K) => string): Map<string, Array<{ key: K; index: number }>> {
  return groupBy(
    keys.map((key, index) => ({ key, index })),
    (k) => groupOf(k.key),
  );
}
