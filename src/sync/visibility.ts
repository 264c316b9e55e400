import { historyVisibilityFrom, stateKey, userMayViewEvent } from '../protocol/index.js';
import type { RoomReadStore, StoredEvent } from '../storage/interfaces/index.js';
import type { EventId, UserId } from '../types/ids.js';

// History visibility for sync timelines. Events after the user's current membership event in a joined room
// are visible by definition (they were a member), so only older events (initial syncs, newly joined rooms,
// the tail of a left room) pay for a state lookup.

export interface VisibilityOptions {
  userId: UserId;
  /** Events with stream ordering above this are known visible (the user was joined). */
  visibleAfter: number;
  /** Whether the user joined the room at some point after these events (the `shared` rule). */
  joinedAfter: boolean;
}

export async function filterVisible(
  store: RoomReadStore,
  events: readonly StoredEvent[],
  opts: VisibilityOptions,
): Promise<StoredEvent[]> {
  const toCheck = events.filter((e) => e.streamOrdering <= opts.visibleAfter);
  if (toCheck.length === 0) return [...events];
  const memberKey = stateKey('m.room.member', opts.userId);
  const hvKey = stateKey('m.room.history_visibility', '');
  const needed = new Map<EventId, { hv?: EventId; member?: EventId }>();
  const lookupIds = new Set<EventId>();
  for (const e of toCheck) {
    const state = await store.getStateIdsBeforeEvent(e.eventId);
    const hv = state?.get(hvKey);
    const member = state?.get(memberKey);
    if (hv) lookupIds.add(hv);
    if (member) lookupIds.add(member);
    needed.set(e.eventId, { hv, member });
  }
  const stateEvents = lookupIds.size > 0 ? await store.getEvents(lookupIds) : new Map<EventId, StoredEvent>();
  return events.filter((e) => {
    const n = needed.get(e.eventId);
    if (!n) return true;
    const hvEvent = n.hv ? stateEvents.get(n.hv) : undefined;
    const memberEvent = n.member ? stateEvents.get(n.member) : undefined;
    const membership = memberEvent?.pdu.content.membership;
    return userMayViewEvent({
      userId: opts.userId,
      event: { type: e.pdu.type, state_key: e.pdu.state_key, content: e.pdu.content },
      historyVisibility: historyVisibilityFrom(hvEvent?.pdu.content),
      membership: typeof membership === 'string' ? membership : undefined,
      joinedAfterEvent: opts.joinedAfter,
    });
  });
}
