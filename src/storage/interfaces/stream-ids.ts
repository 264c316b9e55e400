/** One allocated stream id. Call `done()` once the writing transaction has finished. */
export interface StreamIdAllocation {
  readonly id: number;
  /** Marks the id finished (committed or rolled back). Idempotent. */
  done(): void;
}

/** Consecutive ids allocated together; `done()` finishes all of them at once. */
export interface StreamIdBatch {
  readonly ids: readonly number[];
  done(): void;
}

/**
 * Hands out increasing ids for one append-only stream and tracks the position readers may
 * safely advance to. See src/storage/knex/stream-id-generator.ts for the guarantees.
 */
export interface StreamIdGenerator {
  getNext(): StreamIdAllocation;
  getNextMany(count: number): StreamIdBatch;
  /** Allocates an id, runs `fn` with it and finishes the id whatever `fn` does. */
  withNext<T>(fn: (id: number) => Promise<T>): Promise<T>;
  /** Highest id such that it and every id below it are finished. */
  currentToken(): number;
  /** Called with the new token each time `currentToken()` moves forward. Returns an unsubscribe. */
  onAdvance(listener: (token: number) => void): () => void;
}
