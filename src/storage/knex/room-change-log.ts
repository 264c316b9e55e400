import type { RoomId, UserId } from '../../types/ids.js';

// Which rooms got timeline events after a position, kept in memory as the room writes commit: every
// incremental /sync asks it for all of the user's rooms (a statement with the whole room list otherwise: 25 ms
// on PostgreSQL for a user in 1,000 rooms). Synapse keeps the same ("stream change cache").
//
// Exact for what it covers. Each room's highest ordering of an event a timeline shows (not an outlier, not
// soft-failed, not rejected) is recorded after its transaction commits and before the ordering is marked done,
// so no reader can hold a position covering an event the log has not seen. Positions at or below the floor
// (before the first write of this process, or before the log last started over) are not covered, and neither
// is a room whose latest event lies past the asked range (one earlier in it cannot be told apart): the caller
// asks the database for those.
//
// It also keeps each user's latest membership event (any membership, outliers such as remote invites
// included), so a woken sync learns that the user's memberships did not change since its position without the
// statement over room_memberships.

/** Rooms kept at most; past it the log starts over from the latest position it recorded. */
const MAX_ROOMS = 100_000;

export interface RecordedEvent {
  pdu: { type: string; state_key?: unknown };
  streamOrdering: number;
  outlier: boolean;
  softFailed: boolean;
  rejectedReason: string | null;
}

export class RoomChangeLog {
  private readonly latest = new Map<RoomId, number>();
  private readonly latestMembership = new Map<UserId, number>();
  /** Positions at or below it are not covered; null until the first write is recorded. */
  private floor: number | null = null;
  private highest = 0;

  constructor(private readonly maxRooms = MAX_ROOMS) {}

  /** Committed batches of events, by room (call after the commit, before their orderings are marked done). */
  record(batches: Iterable<{ roomId: RoomId; events: Iterable<RecordedEvent> }>): void {
    let lowest = Number.POSITIVE_INFINITY;
    for (const { roomId, events } of batches) {
      for (const e of events) {
        // Negative orderings are history (backfill), never news to an incremental sync.
        if (e.streamOrdering <= 0) continue;
        lowest = Math.min(lowest, e.streamOrdering);
        this.highest = Math.max(this.highest, e.streamOrdering);
        if (e.pdu.type === 'm.room.member' && typeof e.pdu.state_key === 'string') {
          const userId = e.pdu.state_key as UserId;
          if ((this.latestMembership.get(userId) ?? Number.NEGATIVE_INFINITY) < e.streamOrdering) this.latestMembership.set(userId, e.streamOrdering);
        }
        if (e.outlier || e.softFailed || e.rejectedReason !== null) continue;
        if ((this.latest.get(roomId) ?? Number.NEGATIVE_INFINITY) < e.streamOrdering) this.latest.set(roomId, e.streamOrdering);
      }
    }
    // Writes of positive orderings come one transaction at a time (the group commit), so everything below
    // the first one recorded was committed before this process wrote anything.
    if (this.floor === null && lowest !== Number.POSITIVE_INFINITY) this.floor = lowest - 1;
    if (this.latest.size > this.maxRooms || this.latestMembership.size > this.maxRooms) {
      this.latest.clear();
      this.latestMembership.clear();
      this.floor = this.highest;
    }
  }

  /**
   * The rooms of `roomIds` with such events in (from, to], and the rooms it cannot tell (`unsure`); null when
   * `from` is below what it covers.
   */
  changedSince(roomIds: readonly RoomId[], from: number, to: number): { changed: Set<RoomId>; unsure: RoomId[] } | null {
    if (this.floor === null || from < this.floor) return null;
    const changed = new Set<RoomId>();
    const unsure: RoomId[] = [];
    for (const roomId of roomIds) {
      const latest = this.latest.get(roomId);
      if (latest === undefined || latest <= from) continue;
      if (latest <= to) changed.add(roomId);
      else unsure.push(roomId);
    }
    return { changed, unsure };
  }

  /** True when the user certainly has no membership event after `from`; false when it may (or the log cannot tell). */
  membershipsUnchangedSince(userId: UserId, from: number): boolean {
    if (this.floor === null || from < this.floor) return false;
    return (this.latestMembership.get(userId) ?? Number.NEGATIVE_INFINITY) <= from;
  }
}
