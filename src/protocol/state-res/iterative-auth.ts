import type { RoomVersion } from '../room-versions.js';
import type { EventId } from '../../types/ids.js';
import type { RoomEvent, StateKey } from '../../types/pdu.js';
import { stateKey } from '../state-key.js';
import type { AuthRules } from './auth-rules.js';
import { authEventIds, type EventCache } from './store.js';

const CREATE_KEY = stateKey('m.room.create', '');

export interface AuthCheckContext {
  readonly version: RoomVersion;
  readonly rules: AuthRules;
  readonly cache: EventCache;
  /** v12: the create event implied by the room id (it is never among auth_events but the rules need it). */
  readonly impliedCreate: RoomEvent | undefined;
}

/**
 * Iterative auth checks (v2 "Definitions"): apply each event, in order, to the state if the auth rules allow it
 * against that state. A key the rules need that the state lacks is taken from the event's own auth_events,
 * unless that auth event was rejected. Events that fail are skipped, not fatal.
 */
export async function iterativeAuthChecks(
  ctx: AuthCheckContext,
  events: readonly RoomEvent[],
  base: ReadonlyMap<StateKey, EventId>,
): Promise<Map<StateKey, EventId>> {
  const { version, rules, cache } = ctx;
  const state = new Map(base);

  // Batch everything the loop will read: auth events, and the base state's entries under the needed keys.
  const neededKeys = new Map<EventId, StateKey[]>();
  const baseIds = new Set<EventId>();
  for (const ev of events) {
    const keys = rules.authStateKeysFor(version, ev.pdu);
    neededKeys.set(ev.eventId, keys);
    for (const k of keys) {
      const id = base.get(k);
      if (id !== undefined) baseIds.add(id);
    }
  }
  const createId = base.get(CREATE_KEY);
  if (createId !== undefined) baseIds.add(createId);
  await cache.load(baseIds);
  await cache.loadAuthEventsOf(events.map((e) => e.eventId));

  for (const ev of events) {
    const { type, state_key: sk } = ev.pdu;
    if (sk === undefined) continue;

    const fromAuthEvents = new Map<StateKey, RoomEvent>();
    for (const id of authEventIds(ev.pdu)) {
      const a = cache.get(id);
      if (!a || cache.isRejected(id) || a.pdu.state_key === undefined) continue;
      fromAuthEvents.set(stateKey(a.pdu.type, a.pdu.state_key), a);
    }
    const authState = new Map<StateKey, RoomEvent>();
    const keys = neededKeys.get(ev.eventId) ?? [];
    for (const k of [CREATE_KEY, ...keys]) {
      const inState = state.get(k);
      const chosen = (inState !== undefined ? cache.get(inState) : undefined) ?? fromAuthEvents.get(k);
      if (chosen) authState.set(k, chosen);
    }
    if (!authState.has(CREATE_KEY) && ctx.impliedCreate) authState.set(CREATE_KEY, ctx.impliedCreate);

    if (rules.checkEventAuth(version, ev, authState).allowed) state.set(stateKey(type, sk), ev.eventId);
  }
  return state;
}
