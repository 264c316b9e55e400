import type { Direction, StoredEvent } from '../../storage/interfaces/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import type { ReaderContext } from './context.js';
import { eventMatchesFilter, type RoomEventFilter } from './event-filter.js';
import { filterEventsForUser } from './visibility.js';

// Walks a room's timeline in stream order, keeping the events the filter and the user's visibility allow,
// until `limit` are found or the range ends. Filters can hide many events, so the store is read in batches
// and the walk gives up after a bounded number of them (the caller returns a token to continue).

export const MIN_POSITION = Number.MIN_SAFE_INTEGER;
const MAX_BATCHES = 10;

export interface PageRequest {
  roomId: RoomId;
  userId: UserId;
  dir: Direction;
  /**
   * 'b': events with stream_ordering <= cursor (and > bound) are read, newest first.
   * 'f': events with stream_ordering > cursor (and <= bound) are read, oldest first.
   */
  cursor: number;
  bound: number;
  limit: number;
  filter?: RoomEventFilter;
}

export interface Page {
  events: StoredEvent[];
  /** Where to continue, in the same convention as `cursor`. */
  cursor: number;
  /** True when nothing is left between the cursor and the bound. */
  exhausted: boolean;
}

export async function paginate(ctx: ReaderContext, req: PageRequest): Promise<Page> {
  const { roomId, dir, bound, limit } = req;
  let cursor = req.cursor;
  const out: StoredEvent[] = [];
  if (limit <= 0) return { events: out, cursor, exhausted: false };
  const batchSize = Math.min(1000, Math.max(20, limit * 2));
  // Spec "Ignoring Users": ignored senders' events are left out; state events stay so the room reads coherently.
  const ignored = await ctx.ignoredUsers(req.userId);

  for (let i = 0; i < MAX_BATCHES; i++) {
    const batch =
      dir === 'b'
        ? await ctx.store.getRoomEventsInRange(roomId, bound, cursor, 'b', batchSize)
        : await ctx.store.getRoomEventsInRange(roomId, cursor, bound, 'f', batchSize);
    if (batch.length === 0) return { events: out, cursor, exhausted: true };
    const matching = batch.filter(
      (e) => eventMatchesFilter(req.filter, e.pdu, e.roomId) && (e.pdu.state_key !== undefined || !ignored.has(e.pdu.sender)),
    );
    const visible = new Set((await filterEventsForUser(ctx.store, req.userId, matching)).map((e) => e.eventId));
    for (const e of batch) {
      cursor = dir === 'b' ? e.streamOrdering - 1 : e.streamOrdering;
      if (!visible.has(e.eventId)) continue;
      out.push(e);
      if (out.length >= limit) {
        const rest = batch.length < batchSize && e === batch.at(-1);
        return { events: out, cursor, exhausted: rest };
      }
    }
    if (batch.length < batchSize) return { events: out, cursor, exhausted: true };
  }
  return { events: out, cursor, exhausted: false };
}
