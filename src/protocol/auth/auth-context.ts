import type { RoomVersion } from '../room-versions.js';
import type { RoomEvent, StateKey } from '../../types/pdu.js';
import type { UserId } from '../../types/ids.js';
import { authStateKeysFor, CREATE_KEY, JOIN_RULES_KEY, memberKey, POWER_LEVELS_KEY } from './auth-state-keys.js';
import { powerLevelsView, type PowerLevels } from './power-levels.js';

/**
 * What the rules may see of the room while checking one event. Lookups are limited to the keys the auth
 * events selection names (plus the create event, which v12 implies rather than lists), so a caller may
 * pass the whole room state and still get the answer the event's auth events would give.
 */
export interface AuthContext {
  readonly version: RoomVersion;
  readonly event: RoomEvent;
  readonly create: RoomEvent | undefined;
  readonly powerLevels: PowerLevels;
  /** Looks up an auth-state entry; undefined for keys outside the event's auth selection. */
  get(key: StateKey): RoomEvent | undefined;
  /** `content.membership` of a user's member event, or undefined when there is none (i.e. "leave"). */
  membership(userId: UserId): string | undefined;
  /** `content.join_rule` of the join-rules event; undefined when there is no such event. */
  joinRule(): string | undefined;
}

export function buildAuthContext(
  version: RoomVersion,
  event: RoomEvent,
  state: ReadonlyMap<StateKey, RoomEvent>,
): { ctx: AuthContext; consulted: RoomEvent[] } {
  const allowed = new Set<StateKey>(authStateKeysFor(version, event.pdu));
  allowed.add(CREATE_KEY);
  const get = (key: StateKey) => (allowed.has(key) ? state.get(key) : undefined);
  const consulted: RoomEvent[] = [];
  for (const key of allowed) {
    const ev = state.get(key);
    if (ev) consulted.push(ev);
  }
  const create = get(CREATE_KEY);
  const ctx: AuthContext = {
    version,
    event,
    create,
    powerLevels: powerLevelsView(version, get(POWER_LEVELS_KEY), create),
    get,
    membership(userId) {
      const m = get(memberKey(userId))?.pdu.content.membership;
      return typeof m === 'string' ? m : undefined;
    },
    joinRule() {
      const r = get(JOIN_RULES_KEY)?.pdu.content.join_rule;
      return typeof r === 'string' ? r : undefined;
    },
  };
  return { ctx, consulted };
}
