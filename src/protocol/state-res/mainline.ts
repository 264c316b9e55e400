import type { EventId } from '../../types/ids.js';
import type { RoomEvent } from '../../types/pdu.js';
import { authEventOfType } from './power.js';
import { compareTsThenId } from './event-order.js';
import type { EventCache } from './store.js';

const PL = 'm.room.power_levels';

/**
 * Mainline ordering (v2 "Definitions") of `events` based on the power-levels event `pl` (undefined when the
 * partially resolved state has none: every position is then infinite and only the tie-breakers order).
 *
 * Positions are memoised per power-levels event, so sorting n events whose power-level chains share a mainline
 * costs O(n + distinct power-levels events) after loading, not O(n * mainline length).
 */
export async function mainlineSort(events: RoomEvent[], pl: EventId | undefined, cache: EventCache): Promise<RoomEvent[]> {
  if (events.length === 0) return [];
  await cache.loadAuthEventsOf(events.map((e) => e.eventId));

  // Mainline of P: P0 = pl, P(i+1) = the power-levels auth event of P(i).
  const mainline = new Map<EventId, number>();
  if (pl !== undefined) {
    await cache.load([pl]);
    let cur = cache.get(pl);
    while (cur && !mainline.has(cur.eventId)) {
      mainline.set(cur.eventId, mainline.size);
      await cache.loadAuthEventsOf([cur.eventId]);
      cur = authEventOfType(cur, PL, cache);
    }
  }

  // Load every power-levels chain the events hang off, one batch per step back in the chains.
  let frontier = new Set<EventId>();
  const seen = new Set<EventId>();
  for (const e of events) {
    const p = authEventOfType(e, PL, cache);
    if (p && !mainline.has(p.eventId)) frontier.add(p.eventId);
  }
  while (frontier.size > 0) {
    for (const id of frontier) seen.add(id);
    await cache.loadAuthEventsOf(frontier);
    const next = new Set<EventId>();
    for (const id of frontier) {
      const ev = cache.get(id);
      const p = ev ? authEventOfType(ev, PL, cache) : undefined;
      if (p && !mainline.has(p.eventId) && !seen.has(p.eventId)) next.add(p.eventId);
    }
    frontier = next;
  }

  // position(e) = i for the first e_j (j >= 1) that is P_i, else Infinity.
  const memo = new Map<EventId, number>();
  const positionOfPl = (start: RoomEvent): number => {
    const path: EventId[] = [];
    const onPath = new Set<EventId>();
    let cur: RoomEvent | undefined = start;
    let pos = Number.POSITIVE_INFINITY;
    while (cur) {
      const known = mainline.get(cur.eventId) ?? memo.get(cur.eventId);
      if (known !== undefined) {
        pos = known;
        break;
      }
      if (onPath.has(cur.eventId)) break; // cycle in hostile input: no mainline event reachable
      onPath.add(cur.eventId);
      path.push(cur.eventId);
      cur = authEventOfType(cur, PL, cache);
    }
    for (const id of path) memo.set(id, pos);
    return pos;
  };

  const keyed = events.map((e) => {
    const p = authEventOfType(e, PL, cache);
    return { e, pos: p ? positionOfPl(p) : Number.POSITIVE_INFINITY };
  });
  keyed.sort((a, b) => {
    // Greater position first: the event hangs off an earlier point of the mainline.
    if (a.pos !== b.pos) return a.pos > b.pos ? -1 : 1;
    return compareTsThenId(a.e, b.e);
  });
  return keyed.map((k) => k.e);
}
