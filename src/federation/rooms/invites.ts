import { badJson, forbidden, MatrixError } from '../../errors/index.js';
import { addEventSignature, checkServerSignature, computeEventId, findRoomVersion, serverNameOf, serverSignatureKeys } from '../../protocol/index.js';
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { Pdu } from '../../types/pdu.js';
import { keyRequestId } from '../keys/index.js';
import { federationPath, FederationRequestError } from '../outbound/index.js';
import { checkIncomingPdu, eventIdOf } from './check-pdu.js';
import type { FederationRoomsDeps } from './deps.js';
import { joinedServers } from './room-access.js';

// Invites across servers (server-server API, "Inviting to a room", /invite v2). Outbound: the invitee's
// server countersigns the invite we built. Inbound: we check and countersign an invite of one of our users
// and record it, with the room state the inviter chose, so it shows in /sync.

function strip(v: unknown): JsonObject | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.type !== 'string' || typeof o.state_key !== 'string' || typeof o.sender !== 'string') return undefined;
  if (typeof o.content !== 'object' || o.content === null) return undefined;
  return { type: o.type, state_key: o.state_key, sender: o.sender, content: o.content as JsonObject };
}

export async function inviteRemoteUser(
  deps: FederationRoomsDeps,
  roomId: RoomId,
  roomVersion: string,
  event: Pdu,
  inviteRoomState: readonly JsonObject[],
): Promise<Pdu> {
  const version = findRoomVersion(roomVersion);
  const target = typeof event.state_key === 'string' ? serverNameOf(event.state_key) : undefined;
  if (version === undefined || target === undefined) throw new Error('invite of an unknown version or without a target');
  const eventId = computeEventId(version, event);
  const answer = await deps.federation.client
    .putJson<{ event?: unknown }>(target, federationPath`/_matrix/federation/v2/invite/${roomId}/${eventId}`, {
      room_version: roomVersion,
      event,
      invite_room_state: [...inviteRoomState],
    })
    .catch((err: unknown) => {
      deps.logger.info({ err, target, roomId }, 'remote invite refused or failed');
      // The invitee's refusal because they block invites is the client's to know (spec v1.18, "Invite permission").
      if (err instanceof FederationRequestError && err.status === 403 && err.errcode === 'M_INVITE_BLOCKED') {
        throw new MatrixError('M_INVITE_BLOCKED', 403, 'This user has blocked invites.');
      }
      throw new MatrixError('M_FORBIDDEN', 403, `${target} did not accept the invite`);
    });
  const signed = answer.event;
  if (typeof signed !== 'object' || signed === null || Array.isArray(signed) || eventIdOf(version, signed as Record<string, unknown>) !== eventId) {
    throw new MatrixError('M_UNKNOWN', 502, `${target} answered the invite with another event`);
  }
  // The countersignature is what lets the other servers of the room accept the invite from the target's
  // point of view; a missing or forged one is refused here rather than sent into the room.
  const countersigned = signed as Record<string, unknown>;
  const keys = await deps.federation.keyring.getVerifyKeys(serverSignatureKeys(version, countersigned, target));
  const verdict = checkServerSignature(version, countersigned, target, (server, keyId) => keys.get(keyRequestId(server, keyId)));
  if (!verdict.ok) throw new MatrixError('M_UNKNOWN', 502, `${target} did not validly sign the invite: ${verdict.reason}`);
  return countersigned as unknown as Pdu;
}

export async function receiveInvite(deps: FederationRoomsDeps, origin: string, roomId: RoomId, eventId: EventId, body: JsonObject): Promise<JsonObject> {
  const versionId = typeof body.room_version === 'string' ? body.room_version : '1';
  const version = findRoomVersion(versionId);
  if (version === undefined) {
    throw new MatrixError('M_INCOMPATIBLE_ROOM_VERSION', 400, `Room version ${versionId} is not supported`, { room_version: versionId });
  }
  const checked = await checkIncomingPdu(deps.federation.keyring, version, body.event);
  if (!checked.ok) throw badJson(checked.reason);
  const { pdu } = checked.event;
  if (checked.event.eventId !== eventId || pdu.room_id !== roomId) throw badJson('The event does not match the request path');
  if (pdu.type !== 'm.room.member' || pdu.content.membership !== 'invite' || typeof pdu.state_key !== 'string') {
    throw badJson('Not an invite');
  }
  if (serverNameOf(pdu.state_key) !== deps.config.serverName) throw badJson(`${pdu.state_key} is not a user of this server`);
  if (serverNameOf(pdu.sender) !== origin) throw forbidden(`${origin} cannot invite on behalf of ${pdu.sender}`);
  // Spec v1.18 "Invite permission": a user who blocks invites is not countersigned for (403 M_INVITE_BLOCKED).
  await deps.rooms.assertInviteAllowed(pdu.state_key as UserId);
  const { unsigned: _u, ...plain } = pdu;
  const signed = addEventSignature(version, plain as Record<string, unknown>, deps.config.serverName, deps.signingKey) as unknown as Pdu;
  const stripped = (Array.isArray(body.invite_room_state) ? body.invite_room_state : []).map(strip).filter((x): x is JsonObject => x !== undefined);
  // In a room we are in, the invite also arrives as an ordinary PDU (/send) and joins the timeline there.
  if (!(await joinedServers(deps.storage, roomId)).has(deps.config.serverName)) {
    await deps.rooms.storeOutOfRoomMembership(roomId, version, { eventId, pdu: { ...signed, unsigned: { invite_room_state: stripped } } });
  }
  return { event: signed as unknown as JsonObject };
}
