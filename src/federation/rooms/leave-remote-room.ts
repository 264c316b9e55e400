import { MatrixError } from '../../errors/index.js';
import { findRoomVersion } from '../../protocol/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { Pdu } from '../../types/pdu.js';
import { federationPath, FederationRequestError } from '../outbound/index.js';
import type { FederationRoomsDeps } from './deps.js';
import { signMembershipFromTemplate } from './sign-membership.js';

// Rejecting an invite (or retracting a knock) in a room this server is not in (server-server API, "Leaving
// rooms (Rejecting invites)"): make_leave on a server in the room, sign, send_leave v2, then record the
// leave locally so the invite is gone from /sync.

interface MakeLeaveResponse {
  event?: Record<string, unknown>;
  room_version?: string;
}

async function leaveVia(deps: FederationRoomsDeps, server: string, userId: UserId, roomId: RoomId, content: JsonObject): Promise<void> {
  const { client } = deps.federation;
  const made = await client.getJson<MakeLeaveResponse>(server, federationPath`/_matrix/federation/v1/make_leave/${roomId}/${userId}`);
  const version = findRoomVersion(made.room_version ?? '1');
  if (version === undefined || made.event === undefined) throw new MatrixError('M_UNKNOWN', 502, `${server} sent an unusable make_leave answer`);
  const { pdu, eventId } = signMembershipFromTemplate(deps, version, made.event, roomId, userId, { ...content, membership: 'leave' });
  await client.putJson(server, federationPath`/_matrix/federation/v2/send_leave/${roomId}/${eventId}`, pdu);
  await deps.rooms.storeOutOfRoomMembership(roomId, version, { eventId, pdu: pdu as unknown as Pdu });
}

export async function leaveRemoteRoom(deps: FederationRoomsDeps, userId: UserId, roomId: RoomId, servers: readonly string[], content: JsonObject): Promise<void> {
  let last: unknown;
  for (const server of servers) {
    try {
      await leaveVia(deps, server, userId, roomId, content);
      return;
    } catch (err) {
      last = err;
      deps.logger.info({ err, server, roomId }, 'remote leave attempt failed');
    }
  }
  if (last instanceof MatrixError) throw last;
  const msg = last instanceof FederationRequestError ? last.message : 'no server answered';
  throw new MatrixError('M_UNKNOWN', 502, `Could not leave ${roomId} through ${servers.join(', ')}: ${msg}`);
}
