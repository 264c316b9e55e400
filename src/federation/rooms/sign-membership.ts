import { hashAndSignEvent, type RoomVersion } from '../../protocol/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { FederationRoomsDeps } from './deps.js';

/**
 * Our membership event built from a resident's make_join / make_knock / make_leave template: the template's
 * prev events, auth events and depth, with our sender, state key, time and `content` (membership included),
 * then hashed and signed. The template's own signatures, hashes and unsigned data never carry over.
 */
export function signMembershipFromTemplate(
  deps: Pick<FederationRoomsDeps, 'now' | 'config' | 'signingKey'>,
  version: RoomVersion,
  template: Record<string, unknown>,
  roomId: RoomId,
  userId: UserId,
  content: JsonObject,
): ReturnType<typeof hashAndSignEvent> {
  const { signatures: _s, hashes: _h, unsigned: _u, ...base } = template;
  const unsignedEvent: Record<string, unknown> = {
    ...base,
    room_id: roomId,
    sender: userId,
    state_key: userId,
    type: 'm.room.member',
    origin_server_ts: deps.now(),
    content,
  };
  if (version.eventIdFormat !== 'v1') delete unsignedEvent.event_id;
  return hashAndSignEvent(version, unsignedEvent, deps.config.serverName, deps.signingKey);
}
