import { MatrixError } from '../../errors/index.js';
import { allRoomVersions, findRoomVersion } from '../../protocol/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { Pdu } from '../../types/pdu.js';
import { federationPath, FederationRequestError } from '../outbound/index.js';
import type { FederationRoomsDeps } from './deps.js';
import { signMembershipFromTemplate } from './sign-membership.js';
import { remoteMembershipError } from './remote-membership-error.js';

// Knocking on a room this server is not in (server-server API, "Knocking upon a room"): make_knock on a
// resident server gives a template; we sign it, send_knock it, and record the knock locally with the
// knock_room_state the resident sent, so it shows in the knocker's /sync `knock` section until an invite,
// a refusal or a retraction replaces it.

interface MakeKnockResponse {
  event?: Record<string, unknown>;
  room_version?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Only the stripped fields of the room state the resident chose to show (it is not checked, so nothing more is kept). */
function strippedState(list: unknown): JsonObject[] {
  if (!Array.isArray(list)) return [];
  const out: JsonObject[] = [];
  for (const e of list) {
    if (!isObject(e) || typeof e.type !== 'string' || typeof e.state_key !== 'string' || typeof e.sender !== 'string' || !isObject(e.content)) continue;
    out.push({ type: e.type, state_key: e.state_key, sender: e.sender, content: e.content as JsonObject });
  }
  return out;
}

async function knockVia(deps: FederationRoomsDeps, server: string, userId: UserId, roomId: RoomId, content: JsonObject): Promise<void> {
  const { client } = deps.federation;
  const made = await client.getJson<MakeKnockResponse>(server, federationPath`/_matrix/federation/v1/make_knock/${roomId}/${userId}`, {
    query: { ver: allRoomVersions().map((v) => v.id) },
  });
  const version = findRoomVersion(made.room_version ?? '1');
  if (version === undefined || !isObject(made.event)) {
    throw new MatrixError('M_UNSUPPORTED_ROOM_VERSION', 400, `Room version ${String(made.room_version)} is not supported`);
  }
  if (!version.knocking) throw new MatrixError('M_FORBIDDEN', 403, `Room version ${version.id} does not support knocking`);
  const { pdu, eventId } = signMembershipFromTemplate(deps, version, made.event, roomId, userId, { ...content, membership: 'knock' });
  const sent = await client.putJson<{ knock_room_state?: unknown }>(server, federationPath`/_matrix/federation/v1/send_knock/${roomId}/${eventId}`, pdu);
  const knockState = strippedState(sent.knock_room_state);
  await deps.rooms.storeOutOfRoomMembership(roomId, version, {
    eventId,
    pdu: { ...(pdu as unknown as Pdu), unsigned: { knock_room_state: knockState } },
  });
}

export async function knockRemoteRoom(deps: FederationRoomsDeps, userId: UserId, roomId: RoomId, servers: readonly string[], content: JsonObject): Promise<void> {
  let last: unknown;
  for (const server of servers) {
    try {
      await knockVia(deps, server, userId, roomId, content);
      return;
    } catch (err) {
      last = err;
      deps.logger.info({ err, server, roomId }, 'remote knock attempt failed');
      // A refusal of the knock itself (join rules, ban) is the same from every server.
      if (err instanceof FederationRequestError && err.status === 403) break;
    }
  }
  throw remoteMembershipError(last, `knock on ${roomId} through ${servers.join(', ')}`);
}
