import { filterEventsForUser } from '../rooms/index.js';
import type { RoomReadStore, StoredEvent } from '../storage/interfaces/index.js';
import type { UserId } from '../types/ids.js';

// History visibility for sync timelines. Events after the user's current join in a joined room are visible
// by definition (they were a member), so only older events (initial syncs, newly joined rooms, the tail of a
// left room) go through the full rules of the read side (rooms/read/visibility.ts), which cost state lookups.

export interface VisibilityOptions {
  userId: UserId;
  /** Events with stream ordering above this are known visible (the user was joined). */
  visibleAfter: number;
  /** Senders whose non-state events the user ignores (m.ignored_user_list). */
  ignored?: ReadonlySet<string>;
}

export async function filterVisible(
  store: RoomReadStore,
  events: readonly StoredEvent[],
  opts: VisibilityOptions,
): Promise<StoredEvent[]> {
  const ignored = opts.ignored;
  if (ignored !== undefined && ignored.size > 0) {
    events = events.filter((e) => e.pdu.state_key !== undefined || !ignored.has(e.pdu.sender));
  }
  const toCheck = events.filter((e) => e.streamOrdering <= opts.visibleAfter);
  if (toCheck.length === 0) return [...events];
  const allowed = new Set((await filterEventsForUser(store, opts.userId, toCheck)).map((e) => e.eventId));
  return events.filter((e) => e.streamOrdering > opts.visibleAfter || allowed.has(e.eventId));
}
