import { addEventSignature, serverNameOf, type RoomVersion } from '../../protocol/index.js';
import type { RoomId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { FederationRoomsDeps } from './deps.js';

// send_join of a restricted join (room v8+) that names one of our users in join_authorised_via_users_server:
// we are the authorising server, so the event needs our signature before it can pass the signature checks
// on receipt (anyone else will demand it too). We sign only after checking again that the joiner qualifies;
// the sender's own signature and the auth rules are checked afterwards on the signed event, as for any join.

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function countersignRestrictedJoin(deps: FederationRoomsDeps, version: RoomVersion, roomId: RoomId, body: JsonObject): Promise<JsonObject> {
  if (!version.restrictedJoins || !isObject(body.content)) return body;
  const via = body.content.join_authorised_via_users_server;
  if (typeof via !== 'string' || serverNameOf(via) !== deps.config.serverName) return body;
  if (typeof body.sender !== 'string') return body;
  await deps.rooms.checkRestrictedJoin(roomId, body.sender);
  const { unsigned: _u, ...plain } = body;
  return addEventSignature(version, plain, deps.config.serverName, deps.signingKey) as JsonObject;
}
