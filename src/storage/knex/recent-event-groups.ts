import type { EventId } from '../../types/ids.js';

// The state groups before and after the events this process wrote last, kept as they commit. Two readers ask
// for them right after the write: the next event's write (its prev event's group is the base of its new groups)
// and the syncs the event wakes (the state before a timeline's first event, for lazy-loaded members). Each would
// otherwise read event_state: on PostgreSQL a round trip inside the woken sync's chain of reads.
//
// Exact for what it holds: an event's groups change only when a partially joined room's state is completed,
// and that write replaces them here too.

export interface EventGroups {
  before: number;
  after: number;
}

/** Events kept at most: woken syncs and the next writes ask about the newest few. */
const MAX_EVENTS = 4_096;

export class RecentEventGroups {
  private readonly groups = new Map<EventId, EventGroups>();

  constructor(private readonly maxEvents = MAX_EVENTS) {}

  /** After the commit that wrote (or rewrote) the event's event_state row. */
  set(eventId: EventId, groups: EventGroups): void {
    // Re-inserted, so the oldest entry stays first in the map's order.
    this.groups.delete(eventId);
    this.groups.set(eventId, groups);
    if (this.groups.size > this.maxEvents) this.groups.delete(this.groups.keys().next().value as EventId);
  }

  get(eventId: EventId): EventGroups | undefined {
    return this.groups.get(eventId);
  }

  /** Groups the state GC deleted: entries naming them go (a reader must not resolve a group that is gone). */
  forgetGroups(gone: ReadonlySet<number>): void {
    for (const [eventId, g] of this.groups) if (gone.has(g.before) || gone.has(g.after)) this.groups.delete(eventId);
  }
}
