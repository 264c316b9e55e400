import type { EventId } from '../../types/ids.js';
import { authEventIds, type EventCache, type StateResStore } from './store.js';

/**
 * The conflicted state subgraph (room v12 "Definitions"): every event on an auth_events path between two
 * conflicted events, endpoints included. An event qualifies when it is reachable from a conflicted event (it is
 * in their auth chains, or conflicted itself) and reaches a conflicted event (one is in its own auth chain, or it
 * is conflicted itself). The second condition is computed once per event over the loaded chain, iteratively,
 * so deep chains cannot overflow the stack.
 */
export async function conflictedSubgraph(
  conflicted: ReadonlySet<EventId>,
  store: StateResStore,
  cache: EventCache,
): Promise<Set<EventId>> {
  const chain = await store.getAuthChain(conflicted);
  const nodes = new Set<EventId>([...conflicted, ...chain]);
  await cache.load(nodes);

  const reaches = new Map<EventId, boolean>();
  for (const id of conflicted) reaches.set(id, true);
  const visiting = new Set<EventId>();
  for (const root of nodes) {
    if (reaches.has(root)) continue;
    const stack: Array<{ id: EventId; expanded: boolean }> = [{ id: root, expanded: false }];
    while (stack.length > 0) {
      const top = stack.pop() as { id: EventId; expanded: boolean };
      if (reaches.has(top.id)) continue;
      const ev = cache.get(top.id);
      const parents = ev ? authEventIds(ev.pdu).filter((a) => nodes.has(a)) : [];
      if (!top.expanded) {
        if (visiting.has(top.id)) continue;
        visiting.add(top.id);
        stack.push({ id: top.id, expanded: true });
        for (const a of parents) if (!reaches.has(a) && !visiting.has(a)) stack.push({ id: a, expanded: false });
      } else {
        visiting.delete(top.id);
        reaches.set(top.id, parents.some((a) => reaches.get(a) === true));
      }
    }
  }

  const out = new Set<EventId>();
  for (const id of nodes) if (reaches.get(id) === true) out.add(id);
  return out;
}
