import type { EventId } from '../../types/ids.js';
import type { StateKey } from '../../types/pdu.js';
import type { StateResStore } from './store.js';

/**
 * The auth difference (v2 "Definitions"): the union of the states' full auth chains minus their intersection.
 *
 * Each state's chain C_i is taken to include the state's own events as well as their auth chains (as Synapse's
 * chain-cover implementation does), so an unconflicted event is never part of the difference merely because it
 * appears in one branch's auth chain.
 *
 * To avoid walking the whole room once per state set, C_i is split as (U ∪ AC(U)) ∪ X_i where U is the
 * unconflicted events (shared by all sets) and X_i = D_i ∪ AC(D_i) for the set's conflicted events D_i. Anything in
 * U ∪ AC(U) is in every C_i, so the difference is (∪ X_i − ∩ X_i) − (U ∪ AC(U)): one walk of the shared part and
 * one small walk per set.
 */
export async function authDifference(
  stateSets: ReadonlyArray<ReadonlyMap<StateKey, EventId>>,
  unconflicted: ReadonlyMap<StateKey, EventId>,
  store: StateResStore,
): Promise<Set<EventId>> {
  const perSet: Set<EventId>[] = [];
  for (const s of stateSets) {
    const own: EventId[] = [];
    for (const [k, v] of s) if (unconflicted.get(k) !== v) own.push(v);
    const chain = await store.getAuthChain(own);
    for (const id of own) chain.add(id);
    perSet.push(chain);
  }

  const union = new Set<EventId>();
  for (const s of perSet) for (const id of s) union.add(id);
  const candidates = [...union].filter((id) => !perSet.every((s) => s.has(id)));
  if (candidates.length === 0) return new Set();

  const shared = new Set(unconflicted.values());
  const sharedChain = await store.getAuthChain(shared);
  return new Set(candidates.filter((id) => !shared.has(id) && !sharedChain.has(id)));
}
