import { invalidParam } from '../../errors/index.js';
import type { ClientEvent } from '../../protocol/index.js';
import type { Storage, StoredEvent } from '../../storage/interfaces/index.js';
import type { EventId, RoomId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { Requester } from '../../types/requester.js';
import { eventMatchesFilter, filterEventsForUser, formatRoomToken, serializeEvents, type RoomEventFilter } from '../read/index.js';
import type { EventIndexer } from '../relations/index.js';
import { SEARCH_KEYS } from '../relations/extract.js';

// POST /v3/search, room_events category: full-text matches in the rooms the user is joined to, ranked by the
// engine (or newest first), filtered by the RoomEventFilter and by history visibility, so a user never finds an
// event they could not read. Candidates are fetched in pages and filtered until the page is full.

export interface RoomEventsCriteria {
  search_term: string;
  keys?: string[];
  filter?: RoomEventFilter;
  order_by?: 'rank' | 'recent';
  event_context?: { before_limit?: number; after_limit?: number; include_profile?: boolean };
  include_state?: boolean;
  groupings?: { group_by?: Array<{ key?: string }> };
}

export interface SearchService {
  search(requester: Requester, criteria: { room_events?: RoomEventsCriteria }, nextBatch?: string): Promise<JsonObject>;
}

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;
const CONTEXT_LIMIT_CAP = 100;

interface Cursor {
  /** recent: stream ordering to continue below; rank: rows already consumed. */
  recent?: number;
  offset?: number;
}

function parseBatch(token: string | undefined): Cursor {
  if (token === undefined || token === '') return {};
  const m = /^(r|o)(\d{1,16})$/.exec(token);
  if (m === null) throw invalidParam('Invalid next_batch token');
  return m[1] === 'r' ? { recent: Number(m[2]) } : { offset: Number(m[2]) };
}

export function createSearchService(deps: { storage: Storage; indexer: EventIndexer; now: () => number }): SearchService {
  const { storage } = deps;
  const store = storage.rooms;

  async function serialize(requester: Requester, events: StoredEvent[]): Promise<ClientEvent[]> {
    return serializeEvents(events, { store, now: deps.now(), requester: { userId: requester.userId, deviceId: requester.deviceId } });
  }

  async function profilesOf(roomId: RoomId, senders: Iterable<string>): Promise<JsonObject> {
    const out: JsonObject = {};
    for (const sender of new Set(senders)) {
      const member = await store.getCurrentStateEvent(roomId, 'm.room.member', sender);
      const profile: JsonObject = {};
      const { displayname, avatar_url } = member?.pdu.content ?? {};
      if (typeof displayname === 'string') profile.displayname = displayname;
      if (typeof avatar_url === 'string') profile.avatar_url = avatar_url;
      out[sender] = profile;
    }
    return out;
  }

  async function contextOf(requester: Requester, ev: StoredEvent, opts: NonNullable<RoomEventsCriteria['event_context']>): Promise<JsonObject> {
    const beforeLimit = Math.min(Math.max(0, opts.before_limit ?? 5), CONTEXT_LIMIT_CAP);
    const afterLimit = Math.min(Math.max(0, opts.after_limit ?? 5), CONTEXT_LIMIT_CAP);
    const before = beforeLimit > 0 ? await store.getRoomEventsInRange(ev.roomId, Number.MIN_SAFE_INTEGER, ev.streamOrdering - 1, 'b', beforeLimit) : [];
    // Never past what is committed below (the events generator's token), as the room reader does.
    const upTo = (await storage.streamIdGenerator('events', 'stream_ordering')).currentToken();
    const after = afterLimit > 0 ? await store.getRoomEventsInRange(ev.roomId, ev.streamOrdering, upTo, 'f', afterLimit) : [];
    const visibleBefore = await filterEventsForUser(store, requester.userId, before.filter((e) => e.eventId !== ev.eventId));
    const visibleAfter = await filterEventsForUser(store, requester.userId, after.filter((e) => e.eventId !== ev.eventId));
    const context: JsonObject = {
      events_before: (await serialize(requester, visibleBefore)) as unknown as JsonObject[],
      events_after: (await serialize(requester, visibleAfter)) as unknown as JsonObject[],
      start: formatRoomToken((before.at(-1)?.streamOrdering ?? ev.streamOrdering) - 1),
      end: formatRoomToken(after.at(-1)?.streamOrdering ?? ev.streamOrdering),
    };
    if (opts.include_profile === true) {
      context.profile_info = await profilesOf(ev.roomId, [ev, ...visibleBefore, ...visibleAfter].map((e) => e.pdu.sender));
    }
    return context;
  }

  async function roomEvents(requester: Requester, c: RoomEventsCriteria, batch: string | undefined): Promise<JsonObject> {
    await deps.indexer.catchUp();
    const filter = c.filter ?? {};
    const keys = c.keys ?? Object.keys(SEARCH_KEYS);
    const unknownKey = keys.find((k) => !(k in SEARCH_KEYS));
    if (unknownKey !== undefined) throw invalidParam(`Unknown search key ${unknownKey}`);
    const orderBy = c.order_by ?? 'rank';
    const limit = Math.min(Math.max(1, filter.limit ?? DEFAULT_LIMIT), MAX_LIMIT);

    let roomIds = (await store.getRoomsForUser(requester.userId, ['join'])).map((r) => r.roomId);
    if (filter.rooms !== undefined) roomIds = roomIds.filter((r) => filter.rooms?.includes(r));
    if (filter.not_rooms !== undefined) roomIds = roomIds.filter((r) => !filter.not_rooms?.includes(r));

    const cursor = parseBatch(batch);
    const base = { roomIds, terms: [c.search_term], keys };
    const found: Array<{ ev: StoredEvent; rank: number }> = [];
    let offset = cursor.offset ?? 0;
    let recent = cursor.recent;
    let exhausted = false;
    // Over-fetch pages until `limit` visible matches are found or the index runs out.
    while (found.length < limit && !exhausted) {
      const page = limit * 2;
      const hits = await storage.search.search({ ...base, orderBy, limit: page, offset, beforeStream: recent });
      if (hits.length < page) exhausted = true;
      const events = await store.getEvents(hits.map((h) => h.eventId));
      const candidates = hits
        .map((h) => ({ hit: h, ev: events.get(h.eventId) }))
        .filter((x): x is { hit: typeof x.hit; ev: StoredEvent } => x.ev !== undefined && x.ev.redactedBy === null && eventMatchesFilter(filter, x.ev.pdu, x.ev.roomId));
      const visible = new Set((await filterEventsForUser(store, requester.userId, candidates.map((x) => x.ev))).map((e) => e.eventId));
      for (const hit of hits) {
        offset++;
        recent = hit.streamOrdering;
        const x = candidates.find((y) => y.hit.eventId === hit.eventId);
        if (x !== undefined && visible.has(x.ev.eventId)) found.push({ ev: x.ev, rank: hit.rank });
        if (found.length >= limit) break;
      }
      if (hits.length === 0) exhausted = true;
    }
    const moreAvailable = !exhausted || found.length >= limit;

    const clientEvents = await serialize(requester, found.map((f) => f.ev));
    const results: JsonObject[] = [];
    for (const [i, f] of found.entries()) {
      const result: JsonObject = { rank: f.rank, result: clientEvents[i] as unknown as JsonObject };
      if (c.event_context !== undefined) result.context = await contextOf(requester, f.ev, c.event_context);
      results.push(result);
    }
    const out: JsonObject = {
      count: await storage.search.count(base),
      results,
      highlights: searchWords(c.search_term),
    };
    if (moreAvailable && found.length > 0) out.next_batch = orderBy === 'recent' ? `r${recent ?? 0}` : `o${offset}`;
    if (c.include_state === true) {
      const state: JsonObject = {};
      for (const roomId of new Set(found.map((f) => f.ev.roomId))) {
        const ids = await store.getCurrentStateIds(roomId);
        const stateEvents = await store.getEvents(ids.values());
        state[roomId] = (await serialize(requester, [...stateEvents.values()])) as unknown as JsonObject[];
      }
      out.state = state;
    }
    const groupKeys = (c.groupings?.group_by ?? []).map((g) => g.key).filter((k): k is string => k === 'room_id' || k === 'sender');
    if (groupKeys.length > 0) {
      const groups: JsonObject = {};
      for (const key of groupKeys) {
        const byKey = new Map<string, EventId[]>();
        for (const f of found) {
          const value = key === 'room_id' ? f.ev.roomId : f.ev.pdu.sender;
          byKey.set(value, [...(byKey.get(value) ?? []), f.ev.eventId]);
        }
        const entries: JsonObject = {};
        let order = 1;
        for (const [value, ids] of byKey) entries[value] = { results: ids, order: order++ };
        groups[key] = entries;
      }
      out.groups = groups;
    }
    return out;
  }

  return {
    async search(requester, criteria, nextBatch) {
      const categories: JsonObject = {};
      if (criteria.room_events !== undefined) categories.room_events = await roomEvents(requester, criteria.room_events, nextBatch);
      return { search_categories: categories };
    },
  };
}

/** The words clients should highlight: the search term split as the index splits it. */
function searchWords(term: string): string[] {
  const out: string[] = [];
  for (const w of term.toLowerCase().split(/[^\p{L}\p{N}_]+/u)) if (w !== '' && !out.includes(w)) out.push(w);
  return out;
}
