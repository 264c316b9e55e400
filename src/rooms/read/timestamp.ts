import { notFound } from '../../errors/index.js';
import type { Direction } from '../../storage/interfaces/index.js';
import type { EventId, RoomId } from '../../types/ids.js';
import type { Requester } from '../../types/requester.js';
import { assertUserInRoomOrVisible } from './access.js';
import type { ReaderContext } from './context.js';
import { MIN_POSITION } from './paginate.js';

// GET /v1/rooms/{roomId}/timestamp_to_event: the event closest to a timestamp in one direction ('f': the first
// at or after it, 'b': the last at or before it), among the room's timeline events.

const SCAN_BATCH = 500;

export async function timestampToEvent(
  ctx: ReaderContext,
  requester: Requester,
  roomId: RoomId,
  ts: number,
  dir: Direction,
): Promise<{ event_id: EventId; origin_server_ts: number }> {
  await assertUserInRoomOrVisible(ctx.store, roomId, requester.userId);
  const found = ctx.extras.getEventNearTimestamp
    ? await ctx.extras.getEventNearTimestamp(roomId, ts, dir)
    : await scanForTimestamp(ctx, roomId, ts, dir);
  if (found === undefined) throw notFound(`Unable to find event from ${ts} in direction ${dir}`);
  return { event_id: found.eventId, origin_server_ts: found.originServerTs };
}

/** Fallback for stores without an indexed lookup: one pass over the timeline. */
async function scanForTimestamp(
  ctx: ReaderContext,
  roomId: RoomId,
  ts: number,
  dir: Direction,
): Promise<{ eventId: EventId; originServerTs: number } | undefined> {
  const max = await ctx.maxPosition();
  let cursor = MIN_POSITION;
  let best: { eventId: EventId; originServerTs: number } | undefined;
  for (;;) {
    const batch = await ctx.store.getRoomEventsInRange(roomId, cursor, max, 'f', SCAN_BATCH);
    for (const e of batch) {
      cursor = e.streamOrdering;
      const t = e.pdu.origin_server_ts;
      const better =
        dir === 'f'
          ? t >= ts && (best === undefined || t < best.originServerTs)
          : t <= ts && (best === undefined || t >= best.originServerTs);
      if (better) best = { eventId: e.eventId, originServerTs: t };
    }
    if (batch.length < SCAN_BATCH) return best;
  }
}
