import type { RoomReadStore, StoredEvent } from '../../storage/interfaces/index.js';
import type { EventId, RoomId } from '../../types/ids.js';
import type { Pdu } from '../../types/pdu.js';

// Walking a room's DAG backwards through prev_events, as /get_missing_events and /backfill answer: the
// deepest events first (a breadth-first walk ordered by depth), within one room, never past the events
// the caller names as known, at most `limit` events.

export interface WalkOptions {
  roomId: RoomId;
  /** Where the walk starts. */
  from: readonly EventId[];
  /** Whether the `from` events themselves are part of the answer (backfill: yes; missing events: no). */
  includeFrom: boolean;
  /** Events the caller has: neither returned nor walked through. */
  stopAt?: ReadonlySet<EventId>;
  limit: number;
  /** Events shallower than this are not returned nor walked through. */
  minDepth?: number;
}

export function prevIdsOf(pdu: Pdu): EventId[] {
  return pdu.prev_events.map((ref) => (typeof ref === 'string' ? ref : ref[0]));
}

/** The walked events, deepest first. Outliers and rejected events are left out (we do not know their place). */
export async function walkBackwards(store: RoomReadStore, opts: WalkOptions): Promise<StoredEvent[]> {
  const stopAt = opts.stopAt ?? new Set<EventId>();
  const minDepth = opts.minDepth ?? Number.MIN_SAFE_INTEGER;
  const seen = new Set<EventId>();
  const out: StoredEvent[] = [];
  // The frontier: events loaded but not yet returned, deepest taken first.
  const frontier: StoredEvent[] = [];
  const admit = async (ids: readonly EventId[], answer: boolean): Promise<void> => {
    const fresh = ids.filter((id) => !seen.has(id) && !stopAt.has(id));
    for (const id of fresh) seen.add(id);
    if (fresh.length === 0) return;
    const loaded = await store.getEvents(fresh);
    for (const id of fresh) {
      const ev = loaded.get(id);
      if (ev === undefined || ev.roomId !== opts.roomId || ev.outlier || ev.rejectedReason !== null || ev.depth < minDepth) continue;
      if (answer) frontier.push(ev);
      else await admit(prevIdsOf(ev.pdu), true);
    }
  };
  await admit(opts.from, opts.includeFrom);
  while (out.length < opts.limit && frontier.length > 0) {
    frontier.sort((a, b) => b.depth - a.depth || b.streamOrdering - a.streamOrdering);
    const next = frontier.shift() as StoredEvent;
    out.push(next);
    await admit(prevIdsOf(next.pdu), true);
  }
  return out;
}
