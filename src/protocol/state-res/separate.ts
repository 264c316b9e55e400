import type { EventId } from '../../types/ids.js';
import type { StateKey } from '../../types/pdu.js';

export interface Separated {
  unconflicted: Map<StateKey, EventId>;
  /** Conflicted keys with the distinct event ids the state sets hold for them. */
  conflicted: Map<StateKey, Set<EventId>>;
}

/**
 * v2 split: a key is unconflicted only when every state set holds it with the same event; a key that some set
 * lacks is conflicted (its present values form the conflicted state set).
 */
export function separateV2(stateSets: ReadonlyArray<ReadonlyMap<StateKey, EventId>>): Separated {
  const unconflicted = new Map<StateKey, EventId>();
  const conflicted = new Map<StateKey, Set<EventId>>();
  const keys = new Set<StateKey>();
  for (const s of stateSets) for (const k of s.keys()) keys.add(k);
  for (const k of keys) {
    const values = new Set<EventId>();
    let missing = false;
    for (const s of stateSets) {
      const v = s.get(k);
      if (v === undefined) missing = true;
      else values.add(v);
    }
    const [only] = values;
    if (!missing && values.size === 1 && only !== undefined) unconflicted.set(k, only);
    else conflicted.set(k, values);
  }
  return { unconflicted, conflicted };
}

/**
 * v1 split: the union of the state sets; a key is conflicted only when two sets hold different events for it
 * (a set lacking the key does not conflict with the others).
 */
export function separateV1(stateSets: ReadonlyArray<ReadonlyMap<StateKey, EventId>>): Separated {
  const unconflicted = new Map<StateKey, EventId>();
  const conflicted = new Map<StateKey, Set<EventId>>();
  const values = new Map<StateKey, Set<EventId>>();
  for (const s of stateSets) {
    for (const [k, v] of s) {
      const set = values.get(k);
      if (set) set.add(v);
      else values.set(k, new Set([v]));
    }
  }
  for (const [k, set] of values) {
    const [only] = set;
    if (set.size === 1 && only !== undefined) unconflicted.set(k, only);
    else conflicted.set(k, set);
  }
  return { unconflicted, conflicted };
}
