import type { Knex } from 'knex';
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { RelationRow, RelationsQuery, RelationsStore, StoredEvent, ThreadSummaryRow } from '../interfaces/index.js';
import type { Dialect } from './dialect.js';
import { toSafeNumber } from './dialect.js';
import { WrittenSql } from './dialect-writes.js';
import { EVENT_COLUMNS, toBool, toStoredEvent, type EventRow } from './room-read-rows.js';
import { searchDialect } from './search-store.js';
import { WriteBatch } from './write-batch.js';

// event_relations and the indexer's position (migrations/0011_relations_search.ts). The search rows are
// written here too, through the search dialect, so one indexer batch lands in one transaction.

interface RelationDbRow {
  event_id: string;
  relates_to_id: string;
  rel_type: string;
  room_id: string;
  sender: string;
  type: string;
  aggregation_key: string | null;
  stream_ordering: unknown;
  origin_server_ts: unknown;
  is_state: unknown;
}

function toRelation(r: RelationDbRow): RelationRow {
  return {
    eventId: r.event_id,
    relatesToId: r.relates_to_id,
    relType: r.rel_type,
    roomId: r.room_id,
    sender: r.sender,
    type: r.type,
    aggregationKey: r.aggregation_key,
    streamOrdering: toSafeNumber(r.stream_ordering, 'event_relations.stream_ordering'),
    originServerTs: toSafeNumber(r.origin_server_ts, 'event_relations.origin_server_ts'),
    isState: toBool(r.is_state),
  };
}

/** Sets an index's position, creating its row, unless it already stands further. */
const MOVE_POSITION =
  'insert into event_index_position (name, position) values (?, ?) on conflict (name) do update set position = excluded.position where event_index_position.position < excluded.position';

export class KnexRelationsStore implements RelationsStore {
  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
  ) {}

  async getIndexPosition(name: string): Promise<number> {
    const row: { position: unknown } | undefined = await this.knex('event_index_position').select('position').where({ name }).first();
    // Backfilled events sit below zero, so a fresh index starts below them.
    return row === undefined ? Number.MIN_SAFE_INTEGER : toSafeNumber(row.position, 'event_index_position.position');
  }

  async getEventsAfter(after: number, upTo: number, limit: number): Promise<StoredEvent[]> {
    const rows: EventRow[] = await this.knex('events')
      .select(EVENT_COLUMNS)
      .where('stream_ordering', '>', after)
      .andWhere('stream_ordering', '<=', upTo)
      .orderBy('stream_ordering', 'asc')
      .limit(limit);
    return rows.map(toStoredEvent);
  }

  /**
   * One batch written as the room writer's commits are (dialect.runWritesAsOne: on SQLite one synchronous run,
   * on PostgreSQL one statement): a knex transaction held the server's one SQLite connection across a dozen
   * turns of the event loop, and every send waiting for it showed in the latency tail. The batch's events were
   * read after their redactions committed, so none of its rows belongs to an event a redaction of the same batch
   * removes (extract.ts leaves redacted events out); the deletes need not see the inserts.
   */
  async indexBatch(batch: Parameters<RelationsStore['indexBatch']>[0]): Promise<void> {
    const writes = new WriteBatch(this.dialect);
    collectIndexRows(this.knex, this.dialect, batch, writes);
    writes.add(...redactedRowDeletes(this.knex, batch.redacted));
    // Only forwards: two indexers over one database (workers) may finish out of order; rows are idempotent.
    writes.add(this.knex.raw(MOVE_POSITION, [batch.name, batch.position]));
    if (await writes.flushAsOne(this.knex)) return;
    // Too much for one PostgreSQL statement: a transaction (its writes were built on the pool, so again).
    await this.knex.transaction(async (trx) => {
      const again = new WriteBatch(this.dialect);
      await writeIndexRows(trx, this.dialect, batch, again);
      await again.flush(trx);
      await trx.raw(MOVE_POSITION, [batch.name, batch.position]);
    });
  }

  async getChildren(parentId: EventId, query: RelationsQuery): Promise<RelationRow[]> {
    const q = this.knex('event_relations').select('*').where({ relates_to_id: parentId });
    if (query.relType !== undefined) q.andWhere({ rel_type: query.relType });
    if (query.eventType !== undefined) q.andWhere({ type: query.eventType });
    if (query.dir === 'b') {
      if (query.from !== undefined) q.andWhere('stream_ordering', '<=', query.from);
      if (query.to !== undefined) q.andWhere('stream_ordering', '>', query.to);
      q.orderBy('stream_ordering', 'desc');
    } else {
      if (query.from !== undefined) q.andWhere('stream_ordering', '>', query.from);
      if (query.to !== undefined) q.andWhere('stream_ordering', '<=', query.to);
      q.orderBy('stream_ordering', 'asc');
    }
    const rows: RelationDbRow[] = await q.limit(query.limit);
    return rows.map(toRelation);
  }

  async getRelationsTo(parentIds: readonly EventId[], relTypes?: readonly string[]): Promise<RelationRow[]> {
    const out: RelationRow[] = [];
    const size = Math.max(1, this.dialect.maxBindParams - 100);
    for (let i = 0; i < parentIds.length; i += size) {
      const q = this.knex('event_relations').select('*').whereIn('relates_to_id', parentIds.slice(i, i + size));
      if (relTypes !== undefined) q.whereIn('rel_type', [...relTypes]);
      const rows: RelationDbRow[] = await q.orderBy('stream_ordering', 'asc');
      out.push(...rows.map(toRelation));
    }
    return out;
  }

  async getThreadSummaries(
    rootIds: readonly EventId[],
    userId: UserId,
    excludeSenders: readonly UserId[] = [],
  ): Promise<Array<ThreadSummaryRow & { participated: boolean }>> {
    if (rootIds.length === 0) return [];
    const excluded = excludeSenders.slice(0, 100);
    const ids = [...new Set(rootIds)].slice(0, Math.max(1, this.dialect.maxBindParams - 100 - excluded.length));
    const countQuery = this.knex('event_relations')
      .select('relates_to_id')
      .count({ n: '*' })
      .max({ latest: 'stream_ordering' })
      .where({ rel_type: 'm.thread' })
      .whereIn('relates_to_id', ids)
      .groupBy('relates_to_id');
    if (excluded.length > 0) countQuery.whereNotIn('sender', excluded);
    const counts = (await countQuery) as unknown as Array<{ relates_to_id: string; n: unknown; latest: unknown }>;
    if (counts.length === 0) return [];
    const positions = counts.map((c) => toSafeNumber(c.latest, 'latest'));
    const latestRows: Array<{ event_id: string; stream_ordering: unknown }> = await this.knex('event_relations')
      .select('event_id', 'stream_ordering')
      .whereIn('stream_ordering', positions);
    const byPosition = new Map(latestRows.map((r) => [toSafeNumber(r.stream_ordering, 'stream_ordering'), r.event_id]));
    const mine: Array<{ relates_to_id: string }> = await this.knex('event_relations')
      .distinct('relates_to_id')
      .where({ rel_type: 'm.thread', sender: userId })
      .whereIn('relates_to_id', counts.map((c) => c.relates_to_id));
    const participated = new Set(mine.map((r) => r.relates_to_id));
    return counts.flatMap((c, i) => {
      const position = positions[i] ?? 0;
      const latest = byPosition.get(position);
      if (latest === undefined) return [];
      return [{
        rootId: c.relates_to_id,
        count: toSafeNumber(c.n, 'count'),
        latestEventId: latest,
        latestStreamOrdering: position,
        participated: participated.has(c.relates_to_id),
      }];
    });
  }

  async getThreads(roomId: RoomId, opts: { before?: number; limit: number; participant?: UserId }): Promise<ThreadSummaryRow[]> {
    const q = this.knex('event_relations')
      .select('relates_to_id')
      .count({ n: '*' })
      .max({ latest: 'stream_ordering' })
      .where({ room_id: roomId, rel_type: 'm.thread' })
      .groupBy('relates_to_id');
    if (opts.before !== undefined) q.havingRaw('MAX(stream_ordering) < ?', [opts.before]);
    if (opts.participant !== undefined) {
      const participant = opts.participant;
      // Participated: sent the root, or sent a reply in the thread.
      q.andWhere((w) =>
        w
          .whereIn('relates_to_id', this.knex('events').select('event_id').where({ room_id: roomId, sender: participant }))
          .orWhereIn(
            'relates_to_id',
            this.knex('event_relations').select('relates_to_id').where({ room_id: roomId, rel_type: 'm.thread', sender: participant }),
          ),
      );
    }
    const rows = (await q.orderBy('latest', 'desc').limit(opts.limit)) as unknown as Array<{ relates_to_id: string; n: unknown; latest: unknown }>;
    const latestPositions = rows.map((r) => toSafeNumber(r.latest, 'latest'));
    const latestRows: Array<{ event_id: string; stream_ordering: unknown }> =
      latestPositions.length === 0
        ? []
        : await this.knex('event_relations').select('event_id', 'stream_ordering').whereIn('stream_ordering', latestPositions);
    const byPosition = new Map(latestRows.map((r) => [toSafeNumber(r.stream_ordering, 'stream_ordering'), r.event_id]));
    return rows.flatMap((r, i) => {
      const position = latestPositions[i] ?? 0;
      const latest = byPosition.get(position);
      return latest === undefined
        ? []
        : [{ rootId: r.relates_to_id, count: toSafeNumber(r.n, 'count'), latestEventId: latest, latestStreamOrdering: position }];
    });
  }
}

type IndexRows = Pick<Parameters<RelationsStore['indexBatch']>[0], 'relations' | 'search' | 'redacted'>;

/**
 * Writes relation and search rows (idempotent) and drops those of redacted events: the inserts go into `writes`
 * where the engine allows; the drops run after they are flushed, since a redaction may name an event of the same
 * batch and a combined statement's delete would not see the row its insert adds.
 */
export async function writeIndexRows(db: Knex.Transaction, dialect: Dialect, batch: IndexRows, writes: WriteBatch): Promise<void> {
  collectIndexRows(db, dialect, batch, writes);
  if (batch.redacted.length > 0) {
    await writes.flush(db);
    for (const statement of redactedRowDeletes(db, batch.redacted)) await statement;
  }
}

/** Deletes of the relation and search rows of redacted events; each search row takes its index entry with it (searchDialect.insert says how). */
function redactedRowDeletes(db: Knex, redacted: readonly EventId[]): Knex.QueryBuilder[] {
  if (redacted.length === 0) return [];
  return [db('event_relations').whereIn('event_id', [...redacted]).delete(), db('event_search').whereIn('event_id', [...redacted]).delete()];
}

/** The relation and search rows of `batch`, into `writes` (idempotent inserts). */
function collectIndexRows(db: Knex, dialect: Dialect, batch: IndexRows, writes: WriteBatch): void {
  const rows = batch.relations.map((r) => ({
    event_id: r.eventId,
    relates_to_id: r.relatesToId,
    rel_type: r.relType,
    room_id: r.roomId,
    sender: r.sender,
    type: r.type,
    aggregation_key: r.aggregationKey,
    stream_ordering: r.streamOrdering,
    origin_server_ts: r.originServerTs,
    is_state: r.isState,
  }));
  writes.rows('event_relations', rows, ['event_id']);
  searchDialect(dialect).insert(db, batch.search, writes);
}

/**
 * Moves index `name` to `to` if it stands in [from, to): everything up to `from` was indexed before and the
 * caller indexed (from, to]. One statement; a missing row or a gap leaves it to the indexer's own pass.
 */
export function advanceIndexPosition(db: Knex, name: string, from: number, to: number): WrittenSql {
  // Part of every message's commit: written as SQL, not compiled by knex's builder (dialect-writes.ts).
  return new WrittenSql(db, 'update event_index_position set position = ? where name = ? and position >= ? and position < ?', [to, name, from, to]);
}
