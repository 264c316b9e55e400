import { historyVisibilityFrom, stateKey, userMayViewEvent } from '../../protocol/index.js';
import type { HistoryVisibility } from '../../protocol/index.js';
import type { MembershipRow, RoomReadStore, StoredEvent } from '../../storage/interfaces/index.js';
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { StateKey } from '../../types/pdu.js';

// Which events a user may see (client-server API "History visibility"): decided per event by the history
// visibility and the user's membership in the state *before* the event (protocol/history-visibility.ts adds
// the event's own effect). The state comes from the event's state group; memberships over time from the
// user's membership history, used for the `shared` rule ("joined at some point after the event") and for the
// shortcut that skips state lookups when the user was joined over the whole span of the events.

/** The user's membership events in one room, oldest first. */
export async function membershipHistory(store: RoomReadStore, roomId: RoomId, userId: UserId): Promise<MembershipRow[]> {
  // Scoped to the room in the database: a user in 1,000 rooms would otherwise read every room's history for each.
  return store.getMembershipHistoryInRoom(roomId, userId);
}

/** The last row strictly before `position`. */
function membershipBefore(history: readonly MembershipRow[], position: number): MembershipRow | undefined {
  let found: MembershipRow | undefined;
  for (const row of history) {
    if (row.streamOrdering >= position) break;
    found = row;
  }
  return found;
}

/** True when the user was joined from before `from` through `to` with no membership change in between. */
function joinedThroughout(history: readonly MembershipRow[], from: number, to: number): boolean {
  if (membershipBefore(history, from)?.membership !== 'join') return false;
  return !history.some((r) => r.streamOrdering >= from && r.streamOrdering <= to);
}

function contentOf(ev: StoredEvent | undefined): Record<string, unknown> | undefined {
  return ev?.pdu.content;
}

/**
 * The events (of any rooms) `userId` may see, in the order given. Events whose state is unknown (outliers)
 * are judged by the room state at the position just before them.
 */
export async function filterEventsForUser(
  store: RoomReadStore,
  userId: UserId,
  events: readonly StoredEvent[],
): Promise<StoredEvent[]> {
  if (events.length === 0) return [];
  const byRoom = new Map<RoomId, StoredEvent[]>();
  for (const e of events) {
    let list = byRoom.get(e.roomId);
    if (list === undefined) byRoom.set(e.roomId, (list = []));
    list.push(e);
  }
  const visible = new Set<EventId>();
  for (const [roomId, roomEvents] of byRoom) {
    for (const id of await visibleInRoom(store, roomId, userId, roomEvents)) visible.add(id);
  }
  return events.filter((e) => visible.has(e.eventId));
}

async function visibleInRoom(
  store: RoomReadStore,
  roomId: RoomId,
  userId: UserId,
  events: readonly StoredEvent[],
): Promise<EventId[]> {
  const history = await membershipHistory(store, roomId, userId);
  const positions = events.map((e) => e.streamOrdering);
  const lowest = Math.min(...positions);
  const highest = Math.max(...positions);
  if (joinedThroughout(history, lowest, highest)) return events.map((e) => e.eventId);

  const currentlyJoined = history.at(-1)?.membership === 'join';
  const hvKey = stateKey('m.room.history_visibility', '');
  const memberKey = stateKey('m.room.member', userId);

  // State before each event: the history-visibility and the user's member event ids.
  const before = new Map<EventId, { hv?: EventId; member?: EventId }>();
  const needed = new Set<EventId>();
  for (const e of events) {
    const state: Map<StateKey, EventId> =
      (await store.getStateIdsBeforeEvent(e.eventId)) ?? (await store.getStateIdsAtStreamOrdering(roomId, e.streamOrdering - 1));
    const entry: { hv?: EventId; member?: EventId } = {};
    const hv = state.get(hvKey);
    const member = state.get(memberKey);
    if (hv !== undefined) needed.add((entry.hv = hv));
    if (member !== undefined) needed.add((entry.member = member));
    before.set(e.eventId, entry);
  }
  const stateEvents = needed.size > 0 ? await store.getEvents(needed) : new Map<EventId, StoredEvent>();

  const out: EventId[] = [];
  for (const e of events) {
    const entry = before.get(e.eventId) ?? {};
    const historyVisibility: HistoryVisibility = historyVisibilityFrom(contentOf(entry.hv ? stateEvents.get(entry.hv) : undefined));
    const memberContent = contentOf(entry.member ? stateEvents.get(entry.member) : undefined);
    const membership = typeof memberContent?.membership === 'string' ? memberContent.membership : undefined;
    const joinedAfterEvent =
      currentlyJoined || history.some((r) => r.membership === 'join' && r.streamOrdering > e.streamOrdering);
    const allowed = userMayViewEvent({
      userId,
      event: { type: e.pdu.type, state_key: e.pdu.state_key, content: e.pdu.content },
      historyVisibility,
      membership,
      joinedAfterEvent,
    });
    if (allowed) out.push(e.eventId);
  }
  return out;
}

/** The room's current history visibility. */
export async function currentHistoryVisibility(store: RoomReadStore, roomId: RoomId): Promise<HistoryVisibility> {
  const ev = await store.getCurrentStateEvent(roomId, 'm.room.history_visibility', '');
  return historyVisibilityFrom(ev?.pdu.content);
}
