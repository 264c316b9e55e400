import type { StoredEvent } from '../storage/interfaces/index.js';
import type { RoomId } from '../types/ids.js';
import { eventMatches, type RoomEventFilter } from './filter.js';
import type { SyncRoomReads } from './shared-reads.js';
import { filterVisible, type VisibilityOptions } from './visibility.js';

// Loads the newest `limit` timeline events of a room in (from, to] that pass the timeline filter and
// history visibility, walking backwards page by page so filtered-out events do not starve the timeline.

/** Pages walked before giving up on filling a heavily filtered timeline (it is then reported limited). */
const MAX_PAGES = 8;

export interface LoadedTimeline {
  /** Oldest first. */
  events: StoredEvent[];
  /** More matching events exist in the range than were returned. */
  limited: boolean;
  /** Room pagination token for /messages backwards from just before the first returned event. */
  prevBatch: string;
}

export async function loadTimeline(
  reads: SyncRoomReads,
  roomId: RoomId,
  range: { from: number; to: number },
  limit: number,
  filter: RoomEventFilter | undefined,
  visibility: VisibilityOptions,
): Promise<LoadedTimeline> {
  const collected: StoredEvent[] = [];
  let cursor = range.to;
  let exhausted = false;
  const pageSize = Math.min(Math.max(limit + 1, 20), 500);
  for (let page = 0; page < MAX_PAGES && collected.length <= limit; page++) {
    const batch = await reads.roomEventsBefore(roomId, range.from, cursor, pageSize);
    if (batch.length === 0) {
      exhausted = true;
      break;
    }
    const matching = batch.filter((e) => eventMatches(filter, { type: e.pdu.type, sender: e.pdu.sender, content: e.pdu.content }));
    const visible = await filterVisible(reads.store, matching, visibility);
    for (const e of visible) {
      collected.push(e);
      if (collected.length > limit) break;
    }
    const last = batch[batch.length - 1];
    if (last) cursor = last.streamOrdering;
    if (batch.length < pageSize) {
      exhausted = true;
      break;
    }
  }
  // Not exhausted means we stopped early: either more matching events exist, or the page cap was hit.
  const limited = collected.length > limit || !exhausted;
  const events = collected.slice(0, limit).reverse();
  const first = events[0];
  // `s<N>` covers events with stream ordering <= N, so the token just before the first event is N = first - 1.
  const prevBatch = first ? `s${first.streamOrdering - 1}` : `s${range.to}`;
  return { events, limited, prevBatch };
}
