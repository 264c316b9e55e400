import { notFound } from '../../errors/index.js';
import type { ClientEvent } from '../../protocol/index.js';
import type { Direction, RelationRow, Storage, StoredEvent } from '../../storage/interfaces/index.js';
import type { EventId, RoomId } from '../../types/ids.js';
import type { Requester } from '../../types/requester.js';
import { assertUserInRoomOrVisible, filterEventsForUser, formatRoomToken, parseEventsPosition, serializeEvents, type RelationsBundler } from '../read/index.js';
import { aggregateRelations } from './aggregations.js';
import type { EventIndexer } from './indexer.js';

// GET /v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] and GET /v1/rooms/{roomId}/threads.
// Children are ordered by stream ordering; tokens are room tokens (`s<N>`, as /messages and /sync use them),
// so a client may start from a /messages or /sync token. Everything returned passes the user's history visibility.

/** Synapse follows relations this deep when `recurse` is set, and says so in recursion_depth. */
const MAX_RECURSION_DEPTH = 3;

export interface RelationsParams {
  relType?: string;
  eventType?: string;
  from?: string;
  to?: string;
  limit: number;
  dir: Direction;
  recurse: boolean;
}

export interface RelationsResponse {
  chunk: ClientEvent[];
  next_batch?: string;
  prev_batch?: string;
  recursion_depth?: number;
}

export interface ThreadsParams {
  include: 'all' | 'participated';
  from?: string;
  limit: number;
}

export interface RelationsService {
  relations(requester: Requester, roomId: RoomId, eventId: EventId, params: RelationsParams): Promise<RelationsResponse>;
  threads(requester: Requester, roomId: RoomId, params: ThreadsParams): Promise<{ chunk: ClientEvent[]; next_batch?: string }>;
  /**
   * unsigned.m.relations for stored events, for serializeEvents' `bundleRelations` option (sync, /messages,
   * /context, /event pass it to bundle aggregations). Catches the index up first.
   */
  aggregations: RelationsBundler;
  /** Waits until every committed event is indexed. */
  catchUp(): Promise<void>;
}

export interface RelationsServiceDeps {
  storage: Storage;
  indexer: EventIndexer;
  now: () => number;
}

export function createRelationsService(deps: RelationsServiceDeps): RelationsService {
  const { storage, indexer } = deps;
  const store = storage.rooms;

  const aggregations: RelationsBundler = async (events, viewer, shared) => {
    // Caught up before any read, shared or not: a shared read is then at least as new as this viewer's own.
    await indexer.catchUp();
    return aggregateRelations(deps, events, viewer, shared);
  };

  async function serialize(requester: Requester, events: StoredEvent[]): Promise<ClientEvent[]> {
    const viewer = { userId: requester.userId, deviceId: requester.deviceId };
    return serializeEvents(events, { store, now: deps.now(), requester: viewer, bundleRelations: aggregations });
  }

  /** The parent and its descendants up to the recursion depth, by relation rows. */
  async function descendants(parentId: EventId, params: RelationsParams, from: number | undefined, to: number | undefined): Promise<RelationRow[]> {
    if (!params.recurse) {
      return storage.relations.getChildren(parentId, {
        relType: params.relType,
        eventType: params.eventType,
        from,
        to,
        dir: params.dir,
        limit: params.limit,
      });
    }
    const all: RelationRow[] = [];
    let frontier: EventId[] = [parentId];
    for (let depth = 0; depth < MAX_RECURSION_DEPTH && frontier.length > 0; depth++) {
      const rows = await storage.relations.getRelationsTo(frontier);
      all.push(...rows);
      frontier = rows.map((r) => r.eventId);
    }
    const inRange = all.filter((r) => {
      if (params.relType !== undefined && r.relType !== params.relType) return false;
      if (params.eventType !== undefined && r.type !== params.eventType) return false;
      if (params.dir === 'b') return (from === undefined || r.streamOrdering <= from) && (to === undefined || r.streamOrdering > to);
      return (from === undefined || r.streamOrdering > from) && (to === undefined || r.streamOrdering <= to);
    });
    inRange.sort((a, b) => (params.dir === 'b' ? b.streamOrdering - a.streamOrdering : a.streamOrdering - b.streamOrdering));
    return inRange.slice(0, params.limit);
  }

  async function visibleEvent(requester: Requester, roomId: RoomId, eventId: EventId): Promise<StoredEvent> {
    const ev = await store.getEvent(eventId);
    const missing = () => notFound('Event not found');
    if (ev === undefined || ev.roomId !== roomId || ev.outlier) throw missing();
    const [visible] = await filterEventsForUser(store, requester.userId, [ev]);
    if (visible === undefined) throw missing();
    return visible;
  }

  return {
    catchUp: () => indexer.catchUp(),

    aggregations,

    async relations(requester, roomId, eventId, params) {
      const access = await assertUserInRoomOrVisible(store, roomId, requester.userId);
      await visibleEvent(requester, roomId, eventId);
      await indexer.catchUp();
      const from = params.from !== undefined ? parseEventsPosition(params.from, 'from') : undefined;
      const to = params.to !== undefined ? parseEventsPosition(params.to, 'to') : undefined;
      const rows = await descendants(eventId, params, from, to);
      const found = await store.getEvents(rows.map((r) => r.eventId));
      const events = rows
        .map((r) => found.get(r.eventId))
        .filter((e): e is StoredEvent => e !== undefined && (access.upTo === null || e.streamOrdering <= access.upTo));
      const visible = await filterEventsForUser(store, requester.userId, events);
      const response: RelationsResponse = { chunk: await serialize(requester, visible) };
      const last = rows.at(-1);
      // Room token semantics: going backwards the next page starts just below the last event.
      if (rows.length >= params.limit && last !== undefined) {
        response.next_batch = formatRoomToken(params.dir === 'b' ? last.streamOrdering - 1 : last.streamOrdering);
      }
      if (params.from !== undefined) response.prev_batch = params.from;
      if (params.recurse) response.recursion_depth = MAX_RECURSION_DEPTH;
      return response;
    },

    async threads(requester, roomId, params) {
      const access = await assertUserInRoomOrVisible(store, roomId, requester.userId);
      await indexer.catchUp();
      const before = params.from !== undefined ? parseEventsPosition(params.from, 'from') : undefined;
      const rows = await storage.relations.getThreads(roomId, {
        before: access.upTo !== null ? Math.min(before ?? Number.MAX_SAFE_INTEGER, access.upTo + 1) : before,
        limit: params.limit,
        participant: params.include === 'participated' ? requester.userId : undefined,
      });
      const roots = await store.getEvents(rows.map((r) => r.rootId));
      const events = rows.map((r) => roots.get(r.rootId)).filter((e): e is StoredEvent => e !== undefined && e.roomId === roomId);
      const visible = await filterEventsForUser(store, requester.userId, events);
      const out: { chunk: ClientEvent[]; next_batch?: string } = { chunk: await serialize(requester, visible) };
      const last = rows.at(-1);
      if (rows.length >= params.limit && last !== undefined) out.next_batch = formatRoomToken(last.latestStreamOrdering);
      return out;
    },
  };
}
