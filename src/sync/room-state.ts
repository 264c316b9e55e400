import { splitStateKey, stateKey } from '../protocol/index.js';
import type { StoredEvent } from '../storage/interfaces/index.js';
import type { EventId, RoomId, UserId } from '../types/ids.js';
import type { StateKey } from '../types/pdu.js';
import { eventMatches, type RoomEventFilter } from './filter.js';
import type { SyncRoomReads } from './shared-reads.js';

// The `state` (or v1.16 `state_after`) block of a room section.
//
// `state` is the state at the START of the timeline: the full state for an initial/new room, and for an
// incremental sync the entries that differ between `since` and the timeline start (nothing when the timeline
// runs unbroken from `since`). `state_after` is the state at the END of the timeline (full, or the delta since
// `since`, including changes the timeline also carries).
//
// Lazy loading (`lazy_load_members`) keeps only the member events of the timeline's senders (and the user's
// own); with `include_redundant_members: false` a per-device record of member events already sent
// (LazyMemberCache) avoids sending them again.

export interface StateBlockInput {
  roomId: RoomId;
  userId: UserId;
  timeline: readonly StoredEvent[];
  full: boolean;
  /** Events position of `since` (incremental only). */
  since: number | null;
  to: number;
  /** True when the timeline holds every event after `since` (not limited, not filtered): the delta is empty. */
  timelineComplete: boolean;
  useStateAfter: boolean;
  filter: RoomEventFilter | undefined;
  /** Member events already sent to this device (lazy loading without redundant members), updated in place. */
  sentMembers: Map<UserId, EventId> | null;
}

export async function buildStateBlock(reads: SyncRoomReads, input: StateBlockInput): Promise<StoredEvent[]> {
  const { roomId, timeline } = input;
  const first = timeline[0];
  const stateAt = async (position: number) => reads.stateAt(roomId, position);
  const lazy = input.filter?.lazy_load_members === true;
  // The common incremental case (an unbroken timeline, no lazy loading) needs no state lookup at all.
  if (!input.full && input.since !== null && !input.useStateAfter && input.timelineComplete && first && !lazy) return [];

  let base: ReadonlyMap<StateKey, EventId>;
  if (input.useStateAfter) base = await stateAt(input.to);
  else if (first) base = (await reads.stateBeforeEvent(first.eventId)) ?? (await stateAt(first.streamOrdering - 1));
  else base = await stateAt(input.to);

  let ids: Map<StateKey, EventId>;
  if (input.full || input.since === null) ids = new Map(base);
  else if (!input.useStateAfter && input.timelineComplete && first) ids = new Map();
  else {
    const before = await stateAt(input.since);
    ids = new Map();
    for (const [k, id] of base) if (before.get(k) !== id) ids.set(k, id);
  }

  if (lazy) {
    const needed = new Set<UserId>(timeline.map((e) => e.pdu.sender));
    if (input.full) needed.add(input.userId);
    for (const k of [...ids.keys()]) {
      const [type, key] = splitStateKey(k);
      if (type === 'm.room.member' && !needed.has(key)) ids.delete(k);
    }
    for (const u of needed) {
      const k = stateKey('m.room.member', u);
      const id = base.get(k);
      if (id !== undefined) ids.set(k, id);
    }
    const redundantOk = input.filter?.include_redundant_members === true;
    if (input.sentMembers) {
      if (input.full) input.sentMembers.clear();
      for (const [k, id] of [...ids]) {
        const [type, key] = splitStateKey(k);
        if (type !== 'm.room.member') continue;
        if (!redundantOk && !input.full && input.sentMembers.get(key) === id) ids.delete(k);
        else input.sentMembers.set(key, id);
      }
    }
  }

  if (ids.size === 0) return [];
  const events = await reads.events(ids.values());
  const out: StoredEvent[] = [];
  for (const id of ids.values()) {
    const e = events.get(id);
    if (!e) continue;
    if (!eventMatches(input.filter, { type: e.pdu.type, sender: e.pdu.sender, content: e.pdu.content })) continue;
    out.push(e);
  }
  out.sort((a, b) => a.streamOrdering - b.streamOrdering);
  return out;
}

/** A bounded record, per (user, device, room), of the member events a device has been sent. */
export class LazyMemberCache {
  private readonly map = new Map<string, Map<UserId, EventId>>();

  constructor(private readonly maxEntries = 10_000) {}

  get(userId: UserId, deviceId: string | null, roomId: RoomId): Map<UserId, EventId> {
    const key = `${userId}\u0000${deviceId ?? ''}\u0000${roomId}`;
    let entry = this.map.get(key);
    if (entry) {
      // Refresh LRU position.
      this.map.delete(key);
    } else entry = new Map();
    this.map.set(key, entry);
    if (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    return entry;
  }
}
