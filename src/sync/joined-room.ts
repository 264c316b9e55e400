import type { ClientEvent } from '../protocol/index.js';
import type { AccountDataRow, MembershipRow, ReceiptRow, StoredEvent } from '../storage/interfaces/index.js';
import type { JsonObject } from '../types/json.js';
import { applyEventFields, DEFAULT_TIMELINE_LIMIT, eventMatches, roomMatches, type RoomEventFilter } from './filter.js';
import { receiptEvent, typingEvent } from './room-ephemeral.js';
import { buildStateBlock, type LazyMemberCache } from './room-state.js';
import { buildRoomSummary } from './room-summary.js';
import { loadTimeline } from './room-timeline.js';
import type { JoinedRoomSection, LeftRoomSection, SyncComputation } from './types.js';
import { ignoredUserIds } from './ignored-users.js';

// Sections of rooms.join and rooms.leave. A "full" section (initial sync, full_state, or a room new to the
// client) carries the latest `limit` events and the whole state at their start; an incremental one carries
// what happened after `since` and is left out when nothing did.

/** Per-room inputs fetched once for all rooms of a sync. */
export interface SharedRoomData {
  receipts: Map<string, ReceiptRow[]>;
  accountData: Map<string, AccountDataRow[]>;
  typingChanged: ReadonlySet<string>;
  lazyMembers: LazyMemberCache;
}

function filterNarrowsTimeline(f: RoomEventFilter | undefined): boolean {
  return !!f && (f.types !== undefined || f.not_types !== undefined || f.senders !== undefined || f.not_senders !== undefined || f.contains_url !== undefined);
}

function accountDataEvents(rows: readonly AccountDataRow[] | undefined, filter: RoomEventFilter | undefined): JsonObject[] {
  const out: JsonObject[] = [];
  for (const r of rows ?? []) {
    if (!eventMatches(filter, { type: r.type, sender: r.userId })) continue;
    out.push({ type: r.type, content: r.content });
  }
  return filter?.limit !== undefined ? out.slice(0, filter.limit) : out;
}

async function timelineAndState(
  c: SyncComputation,
  row: MembershipRow,
  full: boolean,
  range: { from: number; to: number },
  visibility: { visibleAfter: number },
  shared: SharedRoomData,
): Promise<{ timeline: StoredEvent[]; limited: boolean; prevBatch: string; state: StoredEvent[] }> {
  const roomFilter = c.filter.room;
  const timelineFilter = roomFilter?.timeline;
  const limit = timelineFilter?.limit ?? DEFAULT_TIMELINE_LIMIT;
  const timelineAllowed = roomMatches(timelineFilter, row.roomId);
  const tl = timelineAllowed
    ? await loadTimeline(c.reads, row.roomId, range, limit, timelineFilter, { userId: c.requester.userId, ...visibility, ignored: await ignoredUserIds(c) })
    : { events: [], limited: false, prevBatch: `s${range.to}` };
  const stateFilter = roomMatches(roomFilter?.state, row.roomId) ? roomFilter?.state : { types: [] };
  const lazy = stateFilter?.lazy_load_members === true;
  const state = await buildStateBlock(c.reads, {
    roomId: row.roomId,
    userId: c.requester.userId,
    timeline: tl.events,
    full,
    since: full ? null : range.from,
    to: range.to,
    timelineComplete: !tl.limited && !filterNarrowsTimeline(timelineFilter) && timelineAllowed,
    useStateAfter: c.useStateAfter,
    filter: stateFilter,
    sentMembers: lazy && stateFilter?.include_redundant_members !== true ? shared.lazyMembers.get(c.requester.userId, c.requester.deviceId, row.roomId) : null,
  });
  return { timeline: tl.events, limited: tl.limited, prevBatch: tl.prevBatch, state };
}

async function serialize(c: SyncComputation, events: readonly StoredEvent[]): Promise<ClientEvent[]> {
  const out = await c.serializer.serialize(events, c.requester, c.reads);
  const fields = c.filter.event_fields;
  return fields ? out.map((e) => applyEventFields(e, fields)) : out;
}

export async function buildJoinedRoom(
  c: SyncComputation,
  row: MembershipRow,
  full: boolean,
  shared: SharedRoomData,
): Promise<JoinedRoomSection | null> {
  const roomId = row.roomId;
  const from = full || c.since === null ? 0 : c.since.events;
  // Everything from the user's join on is visible; only older events need the history visibility rules.
  const tas = await timelineAndState(c, row, full, { from, to: c.to.events }, { visibleAfter: row.streamOrdering - 1 }, shared);

  const ephemeral: JsonObject[] = [];
  const ephemeralFilter = c.filter.room?.ephemeral;
  if (roomMatches(ephemeralFilter, roomId)) {
    const typers = c.typing.typingUsers(roomId);
    if ((full && typers.length > 0) || (!full && shared.typingChanged.has(roomId))) {
      if (eventMatches(ephemeralFilter, { type: 'm.typing', sender: '' })) ephemeral.push(typingEvent(typers));
    }
    const receipts = receiptEvent(shared.receipts.get(roomId) ?? [], c.requester.userId);
    if (receipts && eventMatches(ephemeralFilter, { type: 'm.receipt', sender: '' })) ephemeral.push(receipts);
  }
  const accountFilter = c.filter.room?.account_data;
  const accountData = roomMatches(accountFilter, roomId) ? accountDataEvents(shared.accountData.get(roomId), accountFilter) : [];

  const membersChanged = [...tas.timeline, ...tas.state].some((e) => e.pdu.type === 'm.room.member');
  if (!full && tas.timeline.length === 0 && tas.state.length === 0 && ephemeral.length === 0 && accountData.length === 0) return null;

  // Side by side: on PostgreSQL each of their reads is a round trip.
  const [timelineEvents, stateEvents, summary] = await Promise.all([
    serialize(c, tas.timeline),
    serialize(c, tas.state),
    full || membersChanged ? buildRoomSummary(c.rooms, roomId, c.requester.userId, c.summaries, (r) => c.reads.currentStateMark(r)) : {},
  ]);
  const section: JoinedRoomSection = {
    timeline: { events: timelineEvents, limited: tas.limited, prev_batch: tas.prevBatch },
    ephemeral: { events: ephemeral },
    account_data: { events: accountData },
    summary,
  };
  if (c.useStateAfter) section[c.stateAfterField] = { events: stateEvents };
  else section.state = { events: stateEvents };
  return section;
}

export async function buildLeftRoom(
  c: SyncComputation,
  row: MembershipRow,
  wasJoinedAtSince: boolean,
  shared: SharedRoomData,
): Promise<LeftRoomSection> {
  // The client sees the room up to the user's leave (or kick/ban) event and no further.
  const to = Math.min(row.streamOrdering, c.to.events);
  const full = c.since === null || !wasJoinedAtSince;
  const from = c.since === null ? 0 : c.since.events;
  const visibleAfter = c.since !== null && wasJoinedAtSince ? c.since.events : Number.MIN_SAFE_INTEGER;
  const tas = await timelineAndState(c, row, full, { from, to }, { visibleAfter }, shared);
  const accountFilter = c.filter.room?.account_data;
  const section: LeftRoomSection = {
    timeline: { events: await serialize(c, tas.timeline), limited: tas.limited, prev_batch: tas.prevBatch },
    account_data: { events: roomMatches(accountFilter, row.roomId) ? accountDataEvents(shared.accountData.get(row.roomId), accountFilter) : [] },
  };
  const stateEvents = await serialize(c, tas.state);
  if (c.useStateAfter) section[c.stateAfterField] = { events: stateEvents };
  else section.state = { events: stateEvents };
  return section;
}
