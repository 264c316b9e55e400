import type { RoomVersion } from '../room-versions.js';
import type { EventId } from '../../types/ids.js';
import type { RoomEvent } from '../../types/pdu.js';
import { compareTsThenId } from './event-order.js';
import { senderPowerLevel } from './power.js';
import { authEventIds, type EventCache } from './store.js';
import { lexicographicTopologicalSort } from './topological-sort.js';

const NONE: ReadonlySet<EventId> = new Set();

/**
 * Reverse topological power ordering (v2 "Definitions") of `selected`: earliest first, auth events before the
 * events they authorise, ties by sender power (descending), origin_server_ts, event id.
 *
 * The DAG is the auth-event DAG restricted to `selected`: x depends on every selected event reachable from x
 * through unselected ones, so an ordering constraint is never lost when a path leaves the selection. All
 * events on such paths must already be loaded (they lie in the selection's auth chain).
 */
export function reverseTopologicalPowerSort(
  version: RoomVersion,
  selected: readonly RoomEvent[],
  cache: EventCache,
  impliedCreate: RoomEvent | undefined,
): RoomEvent[] {
  const inSet = new Set(selected.map((e) => e.eventId));
  const frontier = selectedFrontier(inSet, cache);
  const deps = (id: EventId): EventId[] => {
    const ev = cache.get(id);
    if (!ev) return [];
    const out: EventId[] = [];
    for (const a of authEventIds(ev.pdu)) {
      if (inSet.has(a)) out.push(a);
      else for (const f of frontier(a)) out.push(f);
    }
    return out;
  };

  const power = new Map<EventId, number>();
  for (const ev of selected) power.set(ev.eventId, senderPowerLevel(version, ev, cache, impliedCreate));
  const less = (a: EventId, b: EventId): boolean => {
    const pa = power.get(a) ?? 0;
    const pb = power.get(b) ?? 0;
    if (pa !== pb) return pa > pb;
    return compareTsThenId(cache.require(a), cache.require(b)) < 0;
  };

  return lexicographicTopologicalSort(inSet, deps, less).map((id) => cache.require(id));
}

/** For an unselected event: the selected events reachable from it without passing through another selected
 *  event. Memoised, computed iteratively. */
function selectedFrontier(inSet: ReadonlySet<EventId>, cache: EventCache): (id: EventId) => ReadonlySet<EventId> {
  const memo = new Map<EventId, ReadonlySet<EventId>>();
  return (start) => {
    const stack: Array<{ id: EventId; expanded: boolean }> = [{ id: start, expanded: false }];
    const visiting = new Set<EventId>();
    while (stack.length > 0) {
      const top = stack.pop() as { id: EventId; expanded: boolean };
      if (memo.has(top.id)) continue;
      const ev = cache.get(top.id);
      const parents = ev ? authEventIds(ev.pdu) : [];
      if (!top.expanded) {
        if (visiting.has(top.id)) continue;
        visiting.add(top.id);
        stack.push({ id: top.id, expanded: true });
        for (const a of parents) {
          if (!inSet.has(a) && !memo.has(a) && !visiting.has(a)) stack.push({ id: a, expanded: false });
        }
      } else {
        visiting.delete(top.id);
        let acc: Set<EventId> | undefined;
        for (const a of parents) {
          const found = inSet.has(a) ? [a] : (memo.get(a) ?? NONE);
          for (const f of found) (acc ??= new Set()).add(f);
        }
        memo.set(top.id, acc ?? NONE);
      }
    }
    return memo.get(start) ?? NONE;
  };
}
