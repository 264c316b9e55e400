import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { RelationRow, SearchRow } from './index-rows.js';
import type { Direction, StoredEvent } from './rooms.js';

// Relations (m.relates_to of persisted events) and the full-text search index. Both are derived from the
// events table: by the room writer's group commit in the transaction that writes them, and by the indexer in
// src/rooms/relations, which records its progress under a name.

export type { RelationRow, SearchRow } from './index-rows.js';

export interface RelationsQuery {
  relType?: string;
  eventType?: string;
  /**
   * Room token positions (`s<N>`: events with stream ordering <= N are at or before it), as /messages uses
   * them: dir 'b' returns N and below down to (not including) `to`; dir 'f' returns above N up to `to`.
   */
  from?: number;
  to?: number;
  dir: Direction;
  limit: number;
}

export interface ThreadSummaryRow {
  rootId: EventId;
  count: number;
  latestEventId: EventId;
  latestStreamOrdering: number;
}

export interface RelationsStore {
  /** Stored position of the named indexer (Number.MIN_SAFE_INTEGER when it never ran). */
  getIndexPosition(name: string): Promise<number>;
  /** Events with stream_ordering in (after, upTo], oldest first. */
  getEventsAfter(after: number, upTo: number, limit: number): Promise<StoredEvent[]>;
  /** Writes relations and search rows, drops the rows of redacted events, and moves the position; one transaction. */
  indexBatch(batch: {
    name: string;
    position: number;
    relations: readonly RelationRow[];
    search: readonly SearchRow[];
    redacted: readonly EventId[];
  }): Promise<void>;
  /** Children of one event, in stream order. */
  getChildren(parentId: EventId, query: RelationsQuery): Promise<RelationRow[]>;
  /** Every relation pointing at any of `parentIds` (only of `relTypes` when given), in stream order. */
  getRelationsTo(parentIds: readonly EventId[], relTypes?: readonly string[]): Promise<RelationRow[]>;
  /**
   * Reply count, latest reply and whether `userId` replied, for each of `rootIds` that has m.thread children;
   * replies sent by `excludeSenders` (the viewer's ignored users) are not counted and never the latest.
   */
  getThreadSummaries(
    rootIds: readonly EventId[],
    userId: UserId,
    excludeSenders?: readonly UserId[],
  ): Promise<Array<ThreadSummaryRow & { participated: boolean }>>;
  /** Thread roots of a room ordered by latest reply (newest first), latest reply below `before`. */
  getThreads(roomId: RoomId, opts: { before?: number; limit: number; participant?: UserId }): Promise<ThreadSummaryRow[]>;
}

export interface SearchQuery {
  roomIds: readonly RoomId[];
  /** Search terms as typed by the user; the store turns them into its engine's query. */
  terms: readonly string[];
  keys: readonly string[];
  orderBy: 'rank' | 'recent';
  /** recent: only rows with stream_ordering below this. */
  beforeStream?: number;
  /** rank: rows to skip. */
  offset?: number;
  limit: number;
}

export interface SearchHit {
  eventId: EventId;
  roomId: RoomId;
  rank: number;
  streamOrdering: number;
}

export interface SearchStore {
  search(query: SearchQuery): Promise<SearchHit[]>;
  count(query: Pick<SearchQuery, 'roomIds' | 'terms' | 'keys'>): Promise<number>;
}
