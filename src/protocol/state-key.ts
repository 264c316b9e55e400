import type { StateKey } from '../types/pdu.js';

// State maps are keyed by one string per (type, state_key) pair. NUL cannot appear in event types, so
// joining with it is unambiguous and cheaper than nested maps.

export function stateKey(type: string, key: string): StateKey {
  return `${type}\u0000${key}`;
}

export function splitStateKey(k: StateKey): [type: string, stateKey: string] {
  const i = k.indexOf('\u0000');
  return [k.slice(0, i), k.slice(i + 1)];
}
