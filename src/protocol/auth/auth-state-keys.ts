import type { RoomVersion } from '../room-versions.js';
import type { Pdu, StateKey } from '../../types/pdu.js';
import { stateKey } from '../state-key.js';

export const CREATE_KEY: StateKey = stateKey('m.room.create', '');
export const POWER_LEVELS_KEY: StateKey = stateKey('m.room.power_levels', '');
export const JOIN_RULES_KEY: StateKey = stateKey('m.room.join_rules', '');

export const memberKey = (userId: string): StateKey => stateKey('m.room.member', userId);
export const thirdPartyInviteKey = (token: string): StateKey => stateKey('m.room.third_party_invite', token);

function asObject(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** `content.third_party_invite.signed.token` when it is a string. */
export function thirdPartyInviteToken(content: Record<string, unknown>): string | undefined {
  const token = asObject(asObject(content.third_party_invite)?.signed)?.token;
  return typeof token === 'string' ? token : undefined;
}

/**
 * Auth events selection (server-server API): the state keys of the events that authorise `pdu`.
 * The create event is included unless the version says it is implied by the room id
 * (`createEventNotInAuthEvents`, v12). A create event itself has no auth events.
 */
export function authStateKeysFor(
  version: RoomVersion,
  pdu: Pick<Pdu, 'type' | 'sender' | 'state_key' | 'content'>,
): StateKey[] {
  if (pdu.type === 'm.room.create') return [];
  const keys = new Set<StateKey>();
  if (!version.createEventNotInAuthEvents) keys.add(CREATE_KEY);
  keys.add(POWER_LEVELS_KEY);
  keys.add(memberKey(pdu.sender));
  if (pdu.type === 'm.room.member' && typeof pdu.state_key === 'string') {
    keys.add(memberKey(pdu.state_key));
    const membership = pdu.content.membership;
    if (membership === 'join' || membership === 'invite' || membership === 'knock') keys.add(JOIN_RULES_KEY);
    if (membership === 'invite') {
      const token = thirdPartyInviteToken(pdu.content);
      if (token !== undefined) keys.add(thirdPartyInviteKey(token));
    }
    const authoriser = pdu.content.join_authorised_via_users_server;
    if (membership === 'join' && version.restrictedJoins && typeof authoriser === 'string') {
      keys.add(memberKey(authoriser));
    }
  }
  return [...keys];
}
