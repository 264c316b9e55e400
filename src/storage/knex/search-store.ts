import type { Knex } from 'knex';
import type { SearchHit, SearchQuery, SearchRow, SearchStore } from '../interfaces/index.js';
import type { Dialect } from './dialect.js';
import { toSafeNumber } from './dialect.js';
import type { WriteBatch } from './write-batch.js';

// Full-text search over event_search. The one place the engines differ is how text is indexed and matched:
// SQLite keeps an external-content FTS5 table (event_search_fts, rowid = event_search.id) ranked by bm25();
// Postgres keeps a tsvector column with a GIN index ranked by ts_rank. Those differences live in the
// SearchDialect below; the queries around them are shared.

type Db = Knex | Knex.Transaction;

/** Words of a search term, lower-cased; punctuation would otherwise be query syntax for both engines. */
export function searchTokens(terms: readonly string[]): string[] {
  const out: string[] = [];
  for (const term of terms) {
    for (const word of term.toLowerCase().split(/[^\p{L}\p{N}_]+/u)) {
      if (word !== '' && !out.includes(word)) out.push(word);
    }
  }
  return out;
}

interface SearchDialect {
  /**
   * Adds the rows' inserts to `writes`. Removing rows needs nothing engine-specific: a deleted row takes its
   * index entry with it (PostgreSQL's tsvector column; SQLite's delete trigger, migration 0025).
   */
  insert(db: Db, rows: readonly SearchRow[], writes: WriteBatch): void;
  /** A query over event_search `s` restricted to matches, selecting a `rank` column (higher is better). */
  matching(db: Db, tokens: readonly string[]): Knex.QueryBuilder;
}

/** Rows per INSERT of an indexing pass: far under SQLite's 500 compound terms and both engines' bind limits. */
const SEARCH_ROWS_PER_INSERT = 100;

function rowValues(r: SearchRow): Record<string, unknown> {
  return {
    event_id: r.eventId,
    room_id: r.roomId,
    sender: r.sender,
    type: r.type,
    key: r.key,
    value: r.value,
    stream_ordering: r.streamOrdering,
    origin_server_ts: r.originServerTs,
  };
}

const sqliteSearch: SearchDialect = {
  insert(_db, rows, writes) {
    // Rows of one indexing pass in multi-row INSERTs; triggers keep event_search_fts in step (migration 0025),
    // and only for rows inserted: an event indexed before keeps its one entry.
    writes.rows('event_search', rows.map(rowValues), ['event_id']);
  },
  matching(db, tokens) {
    // Each word as a quoted prefix term; FTS5 ANDs them. bm25() is lower-is-better, so negate it.
    const match = tokens.map((t) => `"${t.replaceAll('"', '""')}"*`).join(' ');
    return db('event_search as s')
      .join('event_search_fts as f', 'f.rowid', 's.id')
      .whereRaw('event_search_fts MATCH ?', [match])
      .select(db.raw('-bm25(event_search_fts) as rank'));
  },
};

const postgresSearch: SearchDialect = {
  insert(db, rows, writes) {
    for (let i = 0; i < rows.length; i += SEARCH_ROWS_PER_INSERT) {
      const part = rows.slice(i, i + SEARCH_ROWS_PER_INSERT);
      writes.add(db.raw(
        `INSERT INTO event_search (event_id, room_id, sender, type, key, value, stream_ordering, origin_server_ts, vector)
         VALUES ${part.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, to_tsvector('english', ?))").join(', ')} ON CONFLICT (event_id) DO NOTHING`,
        part.flatMap((r) => [r.eventId, r.roomId, r.sender, r.type, r.key, r.value, r.streamOrdering, r.originServerTs, r.value]),
        ),
      );
    }
  },
  matching(db, tokens) {
    // Prefix match per word, all words required (like the SQLite side).
    const query = tokens.map((t) => `${t.replaceAll(/[^\p{L}\p{N}_]/gu, '')}:*`).join(' & ');
    return db('event_search as s')
      .whereRaw("s.vector @@ to_tsquery('english', ?)", [query])
      .select(db.raw("ts_rank_cd(s.vector, to_tsquery('english', ?)) as rank", [query]));
  },
};

export function searchDialect(dialect: Dialect): SearchDialect {
  return dialect.engine === 'sqlite' ? sqliteSearch : postgresSearch;
}

export class KnexSearchStore implements SearchStore {
  private readonly engine: SearchDialect;

  constructor(
    private readonly knex: Knex,
    dialect: Dialect,
  ) {
    this.engine = searchDialect(dialect);
  }

  private base(query: Pick<SearchQuery, 'roomIds' | 'terms' | 'keys'>): Knex.QueryBuilder | null {
    const tokens = searchTokens(query.terms);
    if (tokens.length === 0 || query.roomIds.length === 0 || query.keys.length === 0) return null;
    return this.engine
      .matching(this.knex, tokens)
      .whereIn('s.room_id', [...query.roomIds])
      .whereIn('s.key', [...query.keys]);
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    const q = this.base(query);
    if (q === null) return [];
    q.select('s.event_id', 's.room_id', 's.stream_ordering');
    if (query.orderBy === 'recent') {
      if (query.beforeStream !== undefined) q.where('s.stream_ordering', '<', query.beforeStream);
      q.orderBy('s.stream_ordering', 'desc');
    } else {
      q.orderBy([{ column: 'rank', order: 'desc' }, { column: 's.stream_ordering', order: 'desc' }]);
      if (query.offset !== undefined && query.offset > 0) q.offset(query.offset);
    }
    const rows: Array<{ event_id: string; room_id: string; stream_ordering: unknown; rank: unknown }> = await q.limit(query.limit);
    return rows.map((r) => ({
      eventId: r.event_id,
      roomId: r.room_id,
      rank: Number(r.rank),
      streamOrdering: toSafeNumber(r.stream_ordering, 'event_search.stream_ordering'),
    }));
  }

  async count(query: Pick<SearchQuery, 'roomIds' | 'terms' | 'keys'>): Promise<number> {
    const q = this.base(query);
    if (q === null) return 0;
    const rows: Array<{ n: unknown }> = await this.knex.from(q.as('m')).count({ n: '*' });
    return toSafeNumber(rows[0]?.n ?? 0, 'count');
  }
}
