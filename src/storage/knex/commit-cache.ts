// Values read from the database, kept until a write changes them: each user's current memberships (every /sync
// starts from the room list, and a woken one reads it again although a message changes nobody's memberships),
// each room's joined servers and partial-state record (where every event sent here goes, asked after each
// commit), each device's one-time key counts and unused fallback keys (every /sync reports them), each user's
// receipts in a room (the unread counts start from them) and pushers (every message's push evaluation). On
// PostgreSQL each was a round trip per sync or per send.
//
// The writers drop what they changed once it is committed: the room writes before their orderings are marked
// done (whatever changed a membership: a member event, or state resolution picking another one), so a reader
// that sees a position also sees what was written up to it; the other stores' writes before they return. A read that was
// running while any entry was dropped does not fill the cache: it may have read the rows from before that
// write. Callers get copies, and may change them.

export interface CommitCacheOptions<V> {
  /** What an entry counts for against the bound (rows, say). */
  weigh(value: V): number;
  copy(value: V): V;
  /** Weight kept at most; past it the cache starts over. */
  maxWeight: number;
}

export class CommitCache<K, V> {
  private readonly values = new Map<K, V>();
  private weight = 0;
  /** Counts the commits that dropped entries: a read fills only if none came while it ran. */
  private writes = 0;

  constructor(private readonly options: CommitCacheOptions<V>) {}

  /** A copy of the kept value; undefined when none is kept. */
  get(key: K): V | undefined {
    const value = this.values.get(key);
    return value === undefined ? undefined : this.options.copy(value);
  }

  /** Call before reading a value from the database; hand the result to `fill`. */
  startRead(): number {
    return this.writes;
  }

  fill(started: number, key: K, value: V): void {
    if (started !== this.writes || this.values.has(key)) return;
    const weight = this.options.weigh(value);
    if (this.weight + weight > this.options.maxWeight) {
      this.values.clear();
      this.weight = 0;
      if (weight > this.options.maxWeight) return;
    }
    this.values.set(key, this.options.copy(value));
    this.weight += weight;
  }

  /** After a commit that changed these keys' values. */
  invalidate(keys: Iterable<K>): void {
    this.writes++;
    for (const key of keys) {
      const gone = this.values.get(key);
      if (gone === undefined) continue;
      this.weight -= this.options.weigh(gone);
      this.values.delete(key);
    }
  }

  /** After a write that may have changed any key's value. */
  clear(): void {
    this.writes++;
    this.values.clear();
    this.weight = 0;
  }

  /** The value kept for `key`, else `read`'s answer (kept unless a commit dropped entries meanwhile). */
  async through(key: K, read: () => Promise<V>): Promise<V> {
    const kept = this.get(key);
    if (kept !== undefined) return kept;
    const started = this.startRead();
    const value = await read();
    this.fill(started, key, value);
    return value;
  }
}
