import type { Logger } from '../../http/logger.js';
import type { Storage, StoredEvent } from '../../storage/interfaces/index.js';
import type { NoticeSource } from '../../types/notices.js';
import { relationRowsOf, searchRowsOf, type IndexRows } from './extract.js';

// Follows the events stream and fills an index (event_relations, or event_search) from the stored events, so the
// room writer needs no change; its progress is a named row of event_index_position. Reads call catchUp() first,
// which indexes everything committed so far, so a client that sends an edit and then asks for relations, or a
// message and then searches, always finds it. Runs are chained: one at a time.
//
// The two indexes follow differently:
// - relations: the room writer's group commits write their own events' relation rows and move the stored
//   position over them when it stood right below (derived-rows.ts); told so (`advanced`), the indexer knows it
//   has nothing to do without reading the position back after every commit (a round trip per commit on
//   PostgreSQL). Relations are read by every sync that bundles aggregations, which must not wait for indexing.
// - search: indexed apart from the commits, 100 ms after the first commit it hears of, so that a run indexes
//   every message of that moment in one transaction. SQLite's full-text index writes a new segment per
//   transaction (and merges them), which in every commit cost a lone sender in a 2-member room ~13% of the
//   server's CPU per message (bench/profile-server-cpu.ts 1 1 8 2, in turns: 835 / 889 -> 960 / 985 events/s).
//   Only /search reads it, and catches it up first. Waiting a whole second made the runs bigger and showed in
//   the latency tail of 50 busy senders; at 100 ms they still do a little (README, the 09:00 pass).

/** The relations index's row of event_index_position (the room writer's group commit moves it too, derived-rows.ts). */
export const RELATIONS_INDEX = 'relations';
/** The search index's row of event_index_position. */
export const SEARCH_INDEX = 'search';
/** How long the search index waits after a commit before indexing it with whatever follows meanwhile. */
export const SEARCH_INDEX_DELAY_MS = 100;
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

interface EventIndexerOptions {
  storage: Storage;
  logger: Logger;
  /** The index's row of event_index_position. */
  name: string;
  /** What the index records of stored events (extract.ts). */
  rowsOf(events: readonly StoredEvent[]): IndexRows;
  /** How long after an 'events' notice a run starts; 0: at once. catchUp() never waits. */
  delayMs?: number;
}

function createEventIndexer(options: EventIndexerOptions): EventIndexer {
  const { storage, logger, name, rowsOf } = options;
  const delayMs = options.delayMs ?? 0;
  let chain: Promise<void> = Promise.resolve();
  /** A position the stored one is known to be at or past (it only moves forwards). */
  let known = Number.MIN_SAFE_INTEGER;

  async function runOnce(): Promise<void> {
    const generator = await storage.streamIdGenerator('events', 'stream_ordering');
    const upTo = generator.currentToken();
    if (known >= upTo) return;
    let position = await storage.relations.getIndexPosition(name);
    while (position < upTo) {
      const events = await storage.relations.getEventsAfter(position, upTo, BATCH);
      const last = events.at(-1);
      const next = events.length < BATCH || last === undefined ? upTo : last.streamOrdering;
      await storage.relations.indexBatch({ name, position: next, ...rowsOf(events) });
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
      const run = () => catchUp().catch((err: unknown) => logger.error({ err, index: name }, 'indexing failed'));
      let timer: NodeJS.Timeout | null = null;
      const unsubscribe = notices.subscribe((notice) => {
        if (notice.stream !== 'events') return;
        if (delayMs === 0) void run();
        else
          timer ??= setTimeout(() => {
            timer = null;
            void run();
          }, delayMs);
      });
      // Events stored before this version (or while the server was down mid-batch) are indexed from the start.
      void run();
      return () => {
        unsubscribe();
        if (timer !== null) clearTimeout(timer);
        timer = null;
        return chain;
      };
    },
  };
}

/** The relations index, following each commit at once (the room writer's commits mostly did its work). */
export function createRelationsIndexer(deps: { storage: Storage; logger: Logger }): EventIndexer {
  return createEventIndexer({ ...deps, name: RELATIONS_INDEX, rowsOf: relationRowsOf });
}

/** The search index, following the commits a moment behind. */
export function createSearchIndexer(deps: { storage: Storage; logger: Logger }): EventIndexer {
  return createEventIndexer({ ...deps, name: SEARCH_INDEX, rowsOf: searchRowsOf, delayMs: SEARCH_INDEX_DELAY_MS });
}
