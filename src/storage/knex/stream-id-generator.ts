import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { StreamIdAllocation, StreamIdBatch, StreamIdGenerator } from '../interfaces/index.js';
import { toSafeNumber } from './dialect.js';

/*
 * Stream ids for append-only tables.
 *
 * Single-writer assumption: exactly one process writes a given stream, and it holds exactly one
 * generator for it (KnexStorage caches them per table and column). Ids come from memory, seeded
 * with MAX(column) at startup, so a second writer process would hand out duplicates.
 *
 * Readers must never see a position whose rows are not all visible. Writers finish out of order
 * (id 7 may commit before id 6), so `currentToken()` only moves past an id once it AND every id
 * below it are done; readers at the token never miss a row that commits later with a lower id.
 * A rolled-back id is also "done": it becomes a permanent gap with no row, which readers skip.
 *
 * Workers later: when several processes write one stream, ids come from a Postgres sequence
 * (nextval is unique across connections), each writer records its own finished position
 * (stream_positions + a Redis broadcast), and the readable token is the minimum over writers'
 * positions. That replaces this class behind the same StreamIdGenerator interface.
 */

interface InFlight {
  readonly first: number;
  readonly last: number;
  finished: boolean;
}

export class LocalStreamIdGenerator implements StreamIdGenerator {
  private lastAllocated: number;
  private token: number;
  // Allocations in id order (they are handed out in increasing order); finished ones are popped
  // from the front. `head` avoids shifting the array on every pop.
  private inFlight: InFlight[] = [];
  private head = 0;
  private readonly listeners = new Set<(token: number) => void>();

  constructor(
    seed: number,
    private readonly name: string,
    private readonly logger?: Logger,
  ) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`stream ${name}: seed must be a safe integer`);
    this.lastAllocated = seed;
    this.token = seed;
  }

  getNext(): StreamIdAllocation {
    const entry = this.allocate(1);
    return { id: entry.first, done: () => this.finish(entry) };
  }

  getNextMany(count: number): StreamIdBatch {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`stream ${this.name}: bad batch size ${count}`);
    if (count === 0) return { ids: [], done: () => undefined };
    const entry = this.allocate(count);
    const ids = Array.from({ length: count }, (_, i) => entry.first + i);
    return { ids, done: () => this.finish(entry) };
  }

  async withNext<T>(fn: (id: number) => Promise<T>): Promise<T> {
    const allocation = this.getNext();
    try {
      return await fn(allocation.id);
    } finally {
      allocation.done();
    }
  }

  currentToken(): number {
    return this.token;
  }

  onAdvance(listener: (token: number) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private allocate(count: number): InFlight {
    const first = this.lastAllocated + 1;
    const last = this.lastAllocated + count;
    if (!Number.isSafeInteger(last)) throw new RangeError(`stream ${this.name}: ids exhausted`);
    this.lastAllocated = last;
    const entry: InFlight = { first, last, finished: false };
    this.inFlight.push(entry);
    return entry;
  }

  private finish(entry: InFlight): void {
    if (entry.finished) return;
    entry.finished = true;
    let front = this.inFlight[this.head];
    if (front !== entry) return; // an older allocation is still running; the token cannot move
    let advancedTo = this.token;
    while (front !== undefined && front.finished) {
      advancedTo = front.last;
      this.head += 1;
      front = this.inFlight[this.head];
    }
    if (this.head > 1024 && this.head * 2 > this.inFlight.length) {
      this.inFlight = this.inFlight.slice(this.head);
      this.head = 0;
    }
    if (advancedTo > this.token) {
      this.token = advancedTo;
      this.notify(advancedTo);
    }
  }

  private notify(token: number): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(token);
      } catch (err) {
        // A failing listener must not break the writer that called done().
        this.logger?.error({ err, stream: this.name, token }, 'stream advance listener failed');
      }
    }
  }
}

/** Reads MAX(column) of `table` (0 when empty) and returns a generator continuing above it. */
export async function createStreamIdGenerator(
  knex: Knex,
  table: string,
  column: string,
  logger?: Logger,
): Promise<LocalStreamIdGenerator> {
  const row: { max_id?: unknown } | undefined = await knex(table).max({ max_id: column }).first();
  const raw = row?.max_id;
  const seed = raw === null || raw === undefined ? 0 : toSafeNumber(raw, `MAX(${table}.${column})`);
  return new LocalStreamIdGenerator(seed, `${table}.${column}`, logger);
}
