import type { RoomVersion } from '../room-versions.js';
import { findRoomVersion } from '../room-versions.js';
import type { RoomEvent } from '../../types/pdu.js';
import { isValidUserId, serverNameOf } from '../identifiers.js';
import { ALLOW, deny, type AuthResult } from './result.js';

// Rule 1, m.room.create. Version differences: `roomIdFromCreateEvent` (v12: no room_id at all, instead of
// a room_id on the sender's domain), `implicitCreator` (v11+: content.creator is no longer required),
// `privilegedCreators` (v12: additional_creators must be valid user ids).

export function checkCreate(version: RoomVersion, event: RoomEvent): AuthResult {
  const { pdu } = event;
  if (pdu.prev_events.length > 0) return deny('create: event has prev_events');
  if (version.roomIdFromCreateEvent) {
    if (pdu.room_id !== undefined) return deny('create: event must not carry a room_id in this room version');
  } else {
    const roomDomain = typeof pdu.room_id === 'string' ? serverNameOf(pdu.room_id) : undefined;
    if (roomDomain === undefined || roomDomain !== serverNameOf(pdu.sender)) {
      return deny("create: room_id domain does not match the sender's domain");
    }
  }
  if (Object.hasOwn(pdu.content, 'room_version')) {
    const rv = pdu.content.room_version;
    if (typeof rv !== 'string' || findRoomVersion(rv) === undefined) {
      return deny(`create: unrecognised room_version ${JSON.stringify(rv)}`);
    }
  }
  if (!version.implicitCreator && !Object.hasOwn(pdu.content, 'creator')) {
    return deny('create: content has no creator');
  }
  if (version.privilegedCreators && Object.hasOwn(pdu.content, 'additional_creators')) {
    const extra = pdu.content.additional_creators;
    if (!Array.isArray(extra) || !extra.every((id) => typeof id === 'string' && isValidUserId(id))) {
      return deny('create: additional_creators must be an array of valid user ids');
    }
  }
  return ALLOW;
}
