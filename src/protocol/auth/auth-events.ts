import type { RoomVersion } from '../room-versions.js';
import type { EventId } from '../../types/ids.js';
import type { RoomEvent, StateKey } from '../../types/pdu.js';
import { stateKey } from '../state-key.js';
import { authStateKeysFor, CREATE_KEY } from './auth-state-keys.js';
import { ALLOW, deny, type AuthResult } from './result.js';

// The "considering the event's auth_events" rule, applied to the auth_events an event actually lists.
// It belongs to the checks on receipt of a PDU (check 4: "passes authorisation rules based on the event's
// auth events"): run it first, then pass authStateFromAuthEvents(...) to checkEventAuth().

/** The ids an event lists in auth_events, whatever the version's reference format. */
export function authEventIds(event: RoomEvent): EventId[] {
  return event.pdu.auth_events.map((ref) => (typeof ref === 'string' ? ref : ref[0]));
}

export interface AuthEventsOptions {
  /** Whether an auth event was itself rejected (storage knows; the rules only ask). */
  isRejected?: (eventId: EventId) => boolean;
}

/**
 * Checks the event's own auth_events, given the events they name (in any order): every listed event must
 * be supplied, none may be rejected, no (type, state_key) may repeat, each must be one the auth events
 * selection names (the create event is required, or in v12 forbidden), and all must share the room.
 */
export function checkAuthEvents(
  version: RoomVersion,
  event: RoomEvent,
  authEvents: readonly RoomEvent[],
  opts: AuthEventsOptions = {},
): AuthResult {
  const byId = new Map(authEvents.map((e) => [e.eventId, e]));
  const ids = authEventIds(event);
  if (event.pdu.type === 'm.room.create') {
    return ids.length === 0 ? ALLOW : deny('create: event must have no auth_events');
  }
  const expected = new Set<StateKey>(authStateKeysFor(version, event.pdu));
  const seen = new Set<StateKey>();
  for (const id of ids) {
    const ae = byId.get(id);
    if (!ae) return deny(`auth event ${id} is missing`);
    if (opts.isRejected?.(id)) return deny(`auth event ${id} was rejected`);
    if (typeof ae.pdu.state_key !== 'string') return deny(`auth event ${id} is not a state event`);
    const key = stateKey(ae.pdu.type, ae.pdu.state_key);
    if (seen.has(key)) return deny(`auth_events list ${ae.pdu.type} / ${ae.pdu.state_key} more than once`);
    seen.add(key);
    if (!expected.has(key)) {
      return deny(`auth event ${id} (${ae.pdu.type} / ${ae.pdu.state_key}) is not in the auth events selection`);
    }
    if (ae.pdu.room_id !== event.pdu.room_id) {
      return deny(`auth event ${id} belongs to room ${String(ae.pdu.room_id)}, not ${String(event.pdu.room_id)}`);
    }
  }
  if (!version.createEventNotInAuthEvents && !seen.has(CREATE_KEY)) {
    return deny('auth_events has no m.room.create event');
  }
  return ALLOW;
}

/**
 * The state map checkEventAuth() needs from an event's auth events. In versions where the create event is
 * implied by the room id (v12) the caller supplies it separately, having looked it up by the room id.
 */
export function authStateFromAuthEvents(
  authEvents: readonly RoomEvent[],
  impliedCreateEvent?: RoomEvent,
): Map<StateKey, RoomEvent> {
  const state = new Map<StateKey, RoomEvent>();
  if (impliedCreateEvent) state.set(CREATE_KEY, impliedCreateEvent);
  for (const ev of authEvents) {
    if (typeof ev.pdu.state_key === 'string') state.set(stateKey(ev.pdu.type, ev.pdu.state_key), ev);
  }
  return state;
}
