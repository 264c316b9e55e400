import type { RoomVersion } from '../room-versions.js';
import type { EventId } from '../../types/ids.js';
import type { StateKey } from '../../types/pdu.js';
import { authStateKeysFor, checkEventAuth } from '../auth/index.js';
import type { AuthRules } from './auth-rules.js';
import type { StateResStore } from './store.js';
import { resolveV1 } from './v1.js';
import { resolveV2 } from './v2.js';

export type { StateResStore } from './store.js';
export type { AuthRules } from './auth-rules.js';
export { MemoryStateResStore } from './memory-store.js';

const AUTH_RULES: AuthRules = { checkEventAuth, authStateKeysFor };

/**
 * Resolves the room state from several state sets (the states after each prev_event), with the algorithm the
 * room version names: v1, v2 (rooms v2-v11) or v2.1 (v12). Deterministic whatever the order of `stateSets`.
 */
export async function resolveState(
  version: RoomVersion,
  stateSets: ReadonlyArray<ReadonlyMap<StateKey, EventId>>,
  store: StateResStore,
): Promise<Map<StateKey, EventId>> {
  return resolveStateWithRules(version, stateSets, store, AUTH_RULES);
}

/** resolveState with explicit auth rules, for tests that isolate the algorithm from the rules. */
export async function resolveStateWithRules(
  version: RoomVersion,
  stateSets: ReadonlyArray<ReadonlyMap<StateKey, EventId>>,
  store: StateResStore,
  rules: AuthRules,
): Promise<Map<StateKey, EventId>> {
  if (stateSets.length === 0) return new Map();
  if (stateSets.length === 1) return new Map(stateSets[0]);
  switch (version.stateRes) {
    case 'v1':
      return resolveV1(version, stateSets, store, rules);
    case 'v2':
    case 'v2.1':
      return resolveV2(version, stateSets, store, rules);
  }
}
