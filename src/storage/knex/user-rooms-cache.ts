import type { UserId } from '../../types/ids.js';
import type { MembershipRow } from '../interfaces/index.js';

// Each user's current memberships (current_memberships rows), as the last read found them. Every /sync starts
// from the user's room list, and a woken one reads it again although a message changes nobody's memberships:
// on PostgreSQL that read was the first round trip of the woken sync, in front of all the others.
//
// The room writes drop the users whose rows a commit changed (whatever changed them: a member event, or state
// resolution picking another one), after the commit and before its orderings are marked done, so a sync
// that sees a position also sees the memberships written up to it. A read that was running while any
// membership was written does not fill the cache: it may have read the rows from before that write.

/** Rows kept at most; past it the cache starts over. */
const MAX_ROWS = 50_000;

export class UserRoomsCache {
  private readonly rooms = new Map<UserId, readonly MembershipRow[]>();
  private rows = 0;
  /** Counts the commits that changed memberships: a read fills only if none came while it ran. */
  private writes = 0;

  constructor(private readonly maxRows = MAX_ROWS) {}

  /** Copies of the cached rows (callers may change what they are handed); undefined when not cached. */
  get(userId: UserId): MembershipRow[] | undefined {
    return this.rooms.get(userId)?.map((r) => ({ ...r }));
  }

  /** Call before reading a user's rows from the database; hand the result to `fill`. */
  startRead(): number {
    return this.writes;
  }

  fill(started: number, userId: UserId, rows: readonly MembershipRow[]): void {
    if (started !== this.writes || this.rooms.has(userId)) return;
    if (this.rows + rows.length > this.maxRows) {
      this.rooms.clear();
      this.rows = 0;
      if (rows.length > this.maxRows) return;
    }
    this.rooms.set(
      userId,
      rows.map((r) => ({ ...r })),
    );
    this.rows += rows.length;
  }

  /** After a commit that changed these users' current memberships. */
  invalidate(userIds: Iterable<UserId>): void {
    this.writes++;
    for (const userId of userIds) {
      const gone = this.rooms.get(userId);
      if (gone === undefined) continue;
      this.rows -= gone.length;
      this.rooms.delete(userId);
    }
  }
}
