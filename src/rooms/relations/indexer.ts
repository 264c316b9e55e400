import type { Logger } from '../../http/logger.js';
import type { Storage } from '../../storage/interfaces/index.js';
import type { NoticeSource } from '../../types/notices.js';
import { indexRowsOf } from './extract.js';

// Follows the events stream and fills event_relations and event_search from the stored events, so the room
// writer needs no change. Reads call catchUp() first, which indexes everything committed so far, so a client
// that sends an edit and then asks for relations always sees it. Runs are chained: one at a time.
// The room writer's group commits index their own events and move the stored position over them when it
// stood right below (derived-rows.ts); told so (`advanced`), the indexer knows it has nothing to do without
// reading the position back after every commit (a round trip per commit on PostgreSQL).

/** The index's row of event_index_position (the room writer's group commit moves it too, derived-rows.ts). */
export const INDEXER_NAME = 'relations_search';
const BATCH = 500;

export interface EventIndexer {
  /** Resolves once every event committed before the call is indexed. */
  catchUp(): Promise<void>;
  /**
   * Starts following 'events' notices and catches up once now. Returns stop: no new runs, and it resolves
   * once the run in flight has finished, so the database can be closed under it without aborting a batch.
   */
  follow(notices: NoticeSource): () => Promise<void>;
  /**
   * A commit moved the stored position over (from, to] if it stood in [from, to), i.e. always when it was at
   * `from` or beyond: the stored position only moves forwards.
   */
  advanced(from: number, to: number): void;
}

export function createEventIndexer(deps: { storage: Storage; logger: Logger }): EventIndexer {
  const { storage, logger } = deps;
  let chain: Promise<void> = Promise.resolve();
  /** A position the stored one is known to be at or past (it only moves forwards). */
  let known = Number.MIN_SAFE_INTEGER;

  async function runOnce(): Promise<void> {
    const generator = await storage.streamIdGenerator('events', 'stream_ordering');
    const upTo = generator.currentToken();
    if (known >= upTo) return;
    let position = await storage.relations.getIndexPosition(INDEXER_NAME);
    while (position < upTo) {
      const events = await storage.relations.getEventsAfter(position, upTo, BATCH);
      const last = events.at(-1);
      const next = events.length < BATCH || last === undefined ? upTo : last.streamOrdering;
      await storage.relations.indexBatch({ name: INDEXER_NAME, position: next, ...indexRowsOf(events) });
      position = next;
    }
    known = Math.max(known, position);
  }

  // A run not yet started covers every caller that arrives before it starts: under a burst of sends the
  // index is walked once per batch of notices, not once per notice.
  let queued: Promise<void> | null = null;
  function catchUp(): Promise<void> {
    if (queued !== null) return queued;
    const run = chain.then(() => {
      queued = null;
      return runOnce();
    });
    queued = run;
    chain = run.catch(() => undefined);
    return run;
  }

  return {
    catchUp,
    advanced(from, to) {
      if (known >= from) known = Math.max(known, to);
    },
    follow(notices) {
      const run = () => catchUp().catch((err: unknown) => logger.error({ err }, 'relations/search indexing failed'));
      const unsubscribe = notices.subscribe((notice) => {
        if (notice.stream === 'events') void run();
      });
      // Events stored before this version (or while the server was down mid-batch) are indexed from the start.
      void run();
      return () => {
        unsubscribe();
        return chain;
      };
    },
  };
}
