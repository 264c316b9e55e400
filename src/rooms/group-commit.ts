import type { DerivedRows, EventToPersist, PersistEventBatch, Storage } from '../storage/interfaces/index.js';
import type { RoomId } from '../types/ids.js';

// Group commit for the room writer. Each COMMIT costs the database a WAL write of every page the
// transaction touched (and Postgres a WAL flush), which was the largest single cost of sending a message.
// Writes that arrive while a transaction is in flight wait and then land together in the next one, so
// under load many sends (of one room or of many) share one COMMIT, while a lone write starts at once.
//
// A batch of a room may build on an earlier one that is not committed yet (the room writer hands its
// in-memory draft to the next flow before the commit). So when a group fails, each batch is retried on
// its own, in order, and a batch that fails poisons its `lineage`: every later batch of that lineage is
// refused without being tried, because it references events that never landed.

/**
 * Where a batch's events were built: on a draft that went on from the room's last commit through this writer
 * ('kept-draft'), on a draft just loaded from the database or a new room ('fresh-draft'), or elsewhere
 * (received over federation: its current state may come from state resolution, not from its events alone).
 */
export type BatchOrigin = 'kept-draft' | 'fresh-draft';

/** A group's batches with their stream orderings, as the store gets them. */
export type OrderedBatch = PersistEventBatch & { origin?: BatchOrigin };

/**
 * Rows to write with a group's events (derived-rows.ts), and what to do once they are committed (a reader
 * that keeps state across groups may keep this group's only then: a failed group is retried batch by batch).
 */
export type DeriveRows = (batches: readonly OrderedBatch[]) => Promise<{ rows: DerivedRows; committed(): void }>;

/** A room's events to persist, without stream orderings (they are allocated when the group is written). */
export type PendingBatch = Omit<PersistEventBatch, 'events'> & { events: readonly EventToPersist[]; origin?: BatchOrigin };

/** What later batches of a room build on; `failed` once one of its batches could not be persisted. */
export interface Lineage {
  failed: boolean;
}

export interface CommitResult {
  /** Stream orderings of the batch's events, in order. */
  orderings: number[];
}

interface Job {
  batch: PendingBatch;
  lineage: Lineage | null;
  resolve: (r: CommitResult) => void;
  reject: (err: unknown) => void;
}

/** Most batches written by one transaction: bounds its size and the latency of the batches in it. */
const MAX_GROUP = 256;

export class GroupCommitter {
  private waiting: Job[] = [];
  private running = false;
  /** The last submitted commit of each room with one in flight or waiting (failures swallowed). */
  private readonly lastOfRoom = new Map<RoomId, Promise<unknown>>();

  constructor(
    private readonly storage: Pick<Storage, 'rooms' | 'streamIdGenerator'>,
    /** Rows written with the group's events (derived-rows.ts); none when absent. */
    private readonly derive?: DeriveRows,
  ) {}

  /**
   * Queues a batch; resolves with its stream orderings once it is committed (rejects if it is not). The
   * batch is queued synchronously, so batches submitted one after another commit in that order.
   */
  submit(batch: PendingBatch, lineage: Lineage | null = null): Promise<CommitResult> {
    const done = new Promise<CommitResult>((resolve, reject) => {
      this.waiting.push({ batch, lineage, resolve, reject });
    });
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.lastOfRoom.set(batch.roomId, settled);
    void settled.then(() => {
      if (this.lastOfRoom.get(batch.roomId) === settled) this.lastOfRoom.delete(batch.roomId);
    });
    if (!this.running) {
      this.running = true;
      setImmediate(() => void this.drain());
    }
    return done;
  }

  /** Resolves once every batch of the room submitted so far is committed or failed. */
  async settled(roomId: RoomId): Promise<void> {
    await this.lastOfRoom.get(roomId);
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting.splice(0, MAX_GROUP);
        await this.commitGroup(group);
      }
    } finally {
      this.running = false;
    }
  }

  private async commitGroup(group: Job[]): Promise<void> {
    const live = this.refuseFailed(group);
    if (live.length === 0) return;
    if (live.length > 1) {
      try {
        const results = await this.write(live.map((j) => j.batch));
        live.forEach((j, i) => j.resolve(results[i] as CommitResult));
        return;
      } catch {
        // Which batch broke the group is not known: each is tried again alone, in order.
      }
    }
    for (const job of live) {
      if (job.lineage?.failed === true) {
        job.reject(new Error(`room ${job.batch.roomId}: an earlier write this batch builds on failed`));
        continue;
      }
      try {
        const [result] = await this.write([job.batch]);
        job.resolve(result as CommitResult);
      } catch (err) {
        if (job.lineage !== null) job.lineage.failed = true;
        job.reject(err);
      }
    }
  }

  private refuseFailed(group: Job[]): Job[] {
    const live: Job[] = [];
    for (const job of group) {
      if (job.lineage?.failed === true) job.reject(new Error(`room ${job.batch.roomId}: an earlier write this batch builds on failed`));
      else live.push(job);
    }
    return live;
  }

  /** One transaction; orderings are allocated in queue order, so a room's events keep their order. */
  private async write(batches: PendingBatch[]): Promise<CommitResult[]> {
    const generator = await this.storage.streamIdGenerator('events', 'stream_ordering');
    const total = batches.reduce((n, b) => n + b.events.length, 0);
    const allocation = generator.getNextMany(total);
    let next = 0;
    const results: CommitResult[] = [];
    const withOrdering = batches.map((b) => {
      const orderings = b.events.map(() => allocation.ids[next++] as number);
      results.push({ orderings });
      return { ...b, events: b.events.map((e, i) => ({ ...e, streamOrdering: orderings[i] as number })) };
    });
    try {
      const derived = this.derive === undefined ? undefined : await this.derive(withOrdering);
      await this.storage.rooms.persistEventBatches(withOrdering, derived?.rows);
      derived?.committed();
    } finally {
      // Committed or rolled back: either way the ids are finished (a rolled-back id is a permanent gap).
      allocation.done();
    }
    return results;
  }
}
