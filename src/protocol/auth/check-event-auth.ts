import type { RoomVersion } from '../room-versions.js';
import type { RoomEvent, StateKey } from '../../types/pdu.js';
import { buildAuthContext, type AuthContext } from './auth-context.js';
import { checkCreate } from './create-rule.js';
import { checkMembership } from './membership-rules.js';
import { checkPowerLevels } from './power-levels-rule.js';
import { serverNameOf } from '../identifiers.js';
import { ALLOW, deny, type AuthResult } from './result.js';

// The authorisation rules of every room version, checked against a state map.
//
// Where the split with "checks on receipt" lies: the spec's rule "considering the event's auth_events"
// (duplicates, entries outside the auth events selection, rejected entries, a missing create event,
// entries from another room) is about the event's *own* auth_events list, so it is checked by
// checkAuthEvents() in auth-events.ts when a PDU arrives (check 4 on receipt), before its auth events are
// turned into a state map and passed here. This function applies the remaining rules to whichever state
// it is given (the auth events, the state before the event, or the current state for soft failure). It
// still refuses a state map without a create event or with entries from another room, since no rule can
// be evaluated sensibly against such state.

function checkRoomIdAgainstCreate(ctx: AuthContext): AuthResult {
  const { version, event, create } = ctx;
  if (!create) return deny('no m.room.create event in the auth state');
  if (create.pdu.type !== 'm.room.create') return deny('the m.room.create state entry is not a create event');
  if (version.roomIdFromCreateEvent) {
    // v12: the room id is the create event's id with the `!` sigil instead of `$`.
    if (event.pdu.room_id !== `!${create.eventId.slice(1)}`) {
      return deny(`room_id ${String(event.pdu.room_id)} is not derived from the create event ${create.eventId}`);
    }
  }
  return ALLOW;
}

function checkSameRoom(ctx: AuthContext, consulted: readonly RoomEvent[]): AuthResult {
  const roomId = ctx.event.pdu.room_id;
  for (const ev of consulted) {
    // A v12 create event carries no room_id; its link to the room is checked by checkRoomIdAgainstCreate.
    if (ev.pdu.room_id !== undefined && ev.pdu.room_id !== roomId) {
      return deny(`auth event ${ev.eventId} belongs to room ${ev.pdu.room_id}, not ${String(roomId)}`);
    }
  }
  return ALLOW;
}

function checkAliases(ctx: AuthContext): AuthResult {
  const { pdu } = ctx.event;
  if (pdu.state_key === undefined) return deny('aliases: event has no state_key');
  if (serverNameOf(pdu.sender) !== pdu.state_key) return deny("aliases: state_key does not match the sender's domain");
  return ALLOW;
}

/** v1-v2 only: a redaction needs the redact level unless it redacts an event from its own server. */
function checkRedaction(ctx: AuthContext): AuthResult {
  const { pdu, eventId } = ctx.event;
  if (ctx.powerLevels.userLevel(pdu.sender) >= ctx.powerLevels.redact) return ALLOW;
  const fromContent = ctx.version.redactsInContent ? pdu.content.redacts : undefined;
  const redacts = typeof fromContent === 'string' ? fromContent : pdu.redacts;
  if (typeof redacts === 'string') {
    const target = serverNameOf(redacts);
    if (target !== undefined && target === serverNameOf(eventId)) return ALLOW;
  }
  return deny("redaction: sender lacks the redact level and the redacted event is from another server");
}

/**
 * Checks `event` against the auth rules of `version`, given a state map (type\0state_key -> event) that
 * contains at least the event's auth state (create, power levels, sender/target membership, join rules,
 * third-party invite, the authorising user's membership for restricted joins). Only the keys
 * authStateKeysFor() names, plus the create event, are read, so callers may pass the whole room state.
 * Where the create event is not an auth event (`createEventNotInAuthEvents`, v12) the caller still supplies
 * it under stateKey('m.room.create', ''); the event's room_id must then be derived from its id.
 */
export function checkEventAuth(
  version: RoomVersion,
  event: RoomEvent,
  authState: ReadonlyMap<StateKey, RoomEvent>,
): AuthResult {
  const { pdu } = event;
  if (pdu.type === 'm.room.create') return checkCreate(version, event);

  const { ctx, consulted } = buildAuthContext(version, event, authState);
  for (const step of [checkRoomIdAgainstCreate(ctx), checkSameRoom(ctx, consulted)]) {
    if (!step.allowed) return step;
  }
  const create = ctx.create;
  if (create && create.pdu.content['m.federate'] === false && serverNameOf(pdu.sender) !== serverNameOf(create.pdu.sender)) {
    return deny('the room is not federated (m.federate is false) and the sender is from another server');
  }
  if (version.specialCaseAliasesAuth && pdu.type === 'm.room.aliases') return checkAliases(ctx);
  if (pdu.type === 'm.room.member') return checkMembership(ctx);

  const pl = ctx.powerLevels;
  const senderLevel = pl.userLevel(pdu.sender);
  if (ctx.membership(pdu.sender) !== 'join') return deny('sender is not joined to the room');
  if (pdu.type === 'm.room.third_party_invite') {
    return senderLevel >= pl.invite ? ALLOW : deny('third-party invite: sender power level is below the invite level');
  }
  const isState = pdu.state_key !== undefined;
  const required = pl.eventLevel(pdu.type, isState);
  if (required > senderLevel) {
    return deny(`sender power level ${senderLevel} is below the ${required} required for ${pdu.type}`);
  }
  if (typeof pdu.state_key === 'string' && pdu.state_key.startsWith('@') && pdu.state_key !== pdu.sender) {
    return deny('state_key starts with @ but is not the sender');
  }
  if (pdu.type === 'm.room.power_levels') return checkPowerLevels(ctx);
  if (version.redactionAuthRule && pdu.type === 'm.room.redaction') return checkRedaction(ctx);
  return ALLOW;
}
