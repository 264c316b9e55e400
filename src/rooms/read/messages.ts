import { notFound } from '../../errors/index.js';
import type { ClientEvent } from '../../protocol/index.js';
import { stateKey } from '../../protocol/index.js';
import type { Direction, StoredEvent } from '../../storage/interfaces/index.js';
import type { EventId, RoomId } from '../../types/ids.js';
import type { StateKey } from '../../types/pdu.js';
import type { Requester } from '../../types/requester.js';
import { assertUserInRoomOrVisible } from './access.js';
import type { ReaderContext } from './context.js';
import type { RoomEventFilter } from './event-filter.js';
import { MIN_POSITION, paginate } from './paginate.js';
import { formatRoomToken, parseEventsPosition } from './tokens.js';
import { filterEventsForUser } from './visibility.js';

// GET /rooms/{roomId}/messages and /rooms/{roomId}/context/{eventId}.

export const MAX_MESSAGES_LIMIT = 1000;

export interface MessagesParams {
  dir: Direction;
  from?: string;
  to?: string;
  limit: number;
  filter?: RoomEventFilter;
}

export interface MessagesResponse {
  chunk: ClientEvent[];
  start: string;
  end?: string;
  state?: ClientEvent[];
}

export interface ContextParams {
  limit: number;
  filter?: RoomEventFilter;
}

export interface ContextResponse {
  start: string;
  end: string;
  events_before: ClientEvent[];
  event: ClientEvent;
  events_after: ClientEvent[];
  state: ClientEvent[];
}

function serializeFor(ctx: ReaderContext, requester: Requester) {
  return ctx.serializerFor(requester);
}

/** The member events (from `state`) of the senders of `events`: what lazy-loading clients need. */
async function memberStateFor(ctx: ReaderContext, state: ReadonlyMap<StateKey, EventId>, events: readonly StoredEvent[]): Promise<StoredEvent[]> {
  const ids = new Set<EventId>();
  for (const e of events) {
    const id = state.get(stateKey('m.room.member', e.pdu.sender));
    if (id !== undefined) ids.add(id);
  }
  const found = await ctx.store.getEvents(ids);
  return [...ids].map((id) => found.get(id)).filter((e): e is StoredEvent => e !== undefined);
}

export async function messages(ctx: ReaderContext, requester: Requester, roomId: RoomId, params: MessagesParams): Promise<MessagesResponse> {
  const access = await assertUserInRoomOrVisible(ctx.store, roomId, requester.userId);
  const max = await ctx.maxPosition();
  // Departed users read up to their leave.
  const cap = access.upTo ?? max;
  const from = params.from !== undefined ? parseEventsPosition(params.from, 'from') : undefined;
  const to = params.to !== undefined ? parseEventsPosition(params.to, 'to') : undefined;

  let page;
  let start: string;
  if (params.dir === 'b') {
    const fromPos = from ?? max;
    start = params.from ?? formatRoomToken(fromPos);
    const request = {
      roomId,
      userId: requester.userId,
      dir: 'b' as const,
      cursor: Math.min(fromPos, cap),
      bound: to ?? MIN_POSITION,
      limit: params.limit,
      filter: params.filter,
    };
    page = await paginate(ctx, request);
    // Our copy ran out before the limit: older history may be on other servers of the room (backfill). What
    // it adds sorts below everything we hold, so the same walk again returns it after what we had.
    if (page.exhausted && page.events.length < params.limit && to === undefined && ctx.remoteHistory !== undefined) {
      // There may be more still: the client gets an `end` and its next page asks again.
      if (await ctx.remoteHistory.fetchOlderHistory(roomId)) page = { ...(await paginate(ctx, request)), exhausted: false };
    }
  } else {
    const fromPos = from ?? MIN_POSITION;
    start = params.from ?? formatRoomToken(fromPos);
    page = await paginate(ctx, {
      roomId,
      userId: requester.userId,
      dir: 'f',
      cursor: fromPos,
      bound: Math.min(to ?? max, cap),
      limit: params.limit,
      filter: params.filter,
    });
  }

  const serialize = serializeFor(ctx, requester);
  const response: MessagesResponse = { chunk: await serialize(page.events), start };
  // No `end` once nothing more is available (start of the timeline, or the end of what the user may read).
  // Forward pages that found events keep an `end` so clients can continue from the live end later.
  if (params.limit === 0) response.end = start;
  else if (!page.exhausted || (params.dir === 'f' && page.events.length > 0)) response.end = formatRoomToken(page.cursor);

  const first = page.events[0];
  if (params.filter?.lazy_load_members === true && first !== undefined) {
    const state = (await ctx.store.getStateIdsAfterEvent(first.eventId)) ?? (await ctx.store.getStateIdsAtStreamOrdering(roomId, first.streamOrdering));
    response.state = await serialize(await memberStateFor(ctx, state, page.events));
  }
  return response;
}

function eventNotFound() {
  return notFound('Event not found.');
}

export async function context(
  ctx: ReaderContext,
  requester: Requester,
  roomId: RoomId,
  eventId: EventId,
  params: ContextParams,
): Promise<ContextResponse> {
  const access = await assertUserInRoomOrVisible(ctx.store, roomId, requester.userId);
  const event = await ctx.store.getEvent(eventId);
  if (event === undefined || event.roomId !== roomId || event.outlier || event.softFailed || event.rejectedReason !== null) {
    throw eventNotFound();
  }
  const cap = access.upTo ?? (await ctx.maxPosition());
  if (event.streamOrdering > cap) throw eventNotFound();
  if ((await filterEventsForUser(ctx.store, requester.userId, [event])).length === 0) throw eventNotFound();

  const beforeLimit = Math.floor(params.limit / 2);
  const afterLimit = params.limit - beforeLimit;
  const common = { roomId, userId: requester.userId, filter: params.filter };
  const [before, after] = await Promise.all([
    paginate(ctx, { ...common, dir: 'b', cursor: event.streamOrdering - 1, bound: MIN_POSITION, limit: beforeLimit }),
    paginate(ctx, { ...common, dir: 'f', cursor: event.streamOrdering, bound: cap, limit: afterLimit }),
  ]);

  const last = after.events.at(-1) ?? event;
  const stateIds = (await ctx.store.getStateIdsAfterEvent(last.eventId)) ?? (await ctx.store.getStateIdsAtStreamOrdering(roomId, last.streamOrdering));
  const all = [...before.events, event, ...after.events];
  let stateEvents: StoredEvent[];
  if (params.filter?.lazy_load_members === true) {
    stateEvents = await memberStateFor(ctx, stateIds, all);
  } else {
    const found = await ctx.store.getEvents(stateIds.values());
    stateEvents = [...stateIds.values()].map((id) => found.get(id)).filter((e): e is StoredEvent => e !== undefined);
  }

  const serialize = serializeFor(ctx, requester);
  const [eventsBefore, [clientEvent], eventsAfter, state] = await Promise.all([
    serialize(before.events),
    serialize([event]),
    serialize(after.events),
    serialize(stateEvents),
  ]);
  if (clientEvent === undefined) throw eventNotFound();
  return {
    start: formatRoomToken(before.cursor),
    end: formatRoomToken(after.cursor),
    events_before: eventsBefore,
    event: clientEvent,
    events_after: eventsAfter,
    state,
  };
}
