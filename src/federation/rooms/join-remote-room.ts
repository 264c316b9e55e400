import { MatrixError } from '../../errors/index.js';
import { allRoomVersions, findRoomVersion, isValidServerName, type RoomVersion } from '../../protocol/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { RoomEvent } from '../../types/pdu.js';
import { federationPath, FederationRequestError } from '../outbound/index.js';
import { checkIncomingPdu } from './check-pdu.js';
import type { FederationRoomsDeps } from './deps.js';
import { isEventOfRoom } from './fetch-remote-state.js';
import { signMembershipFromTemplate } from './sign-membership.js';
import { remoteMembershipError } from './remote-membership-error.js';

// Joining a room this server is not in (server-server API, "Joining rooms"): make_join on a resident server
// gives a template; we fill in our content, hash and sign it, send_join (v2) it, check the state and auth
// chain the resident sent back (signatures and hashes here, the auth rules of each event in the room writer),
// and let the room writer store those that pass with our join. Servers are tried in turn.

interface MakeJoinResponse {
  event?: Record<string, unknown>;
  room_version?: string;
}

interface SendJoinResponse {
  members_omitted?: unknown;
  servers_in_room?: unknown;
  state?: unknown[];
  auth_chain?: unknown[];
  event?: unknown;
}

/** Steps 1-3 of the checks on receipt (format, signatures, hash) and the room; the auth rules follow in the room writer. */
async function checkAll(deps: FederationRoomsDeps, version: RoomVersion, roomId: RoomId, list: unknown[] | undefined): Promise<RoomEvent[]> {
  const out: RoomEvent[] = [];
  for (const json of list ?? []) {
    const checked = await checkIncomingPdu(deps.federation.keyring, version, json);
    if (checked.ok && isEventOfRoom(version, checked.event, roomId)) out.push(checked.event);
    else deps.logger.warn({ reason: checked.ok ? 'event of another room' : checked.reason }, 'dropping an invalid event of a send_join response');
  }
  return out;
}

async function joinVia(deps: FederationRoomsDeps, server: string, userId: UserId, roomId: RoomId, content: JsonObject): Promise<'partial' | 'full'> {
  const { client } = deps.federation;
  const made = await client.getJson<MakeJoinResponse>(server, federationPath`/_matrix/federation/v1/make_join/${roomId}/${userId}`, {
    query: { ver: allRoomVersions().map((v) => v.id) },
  });
  const version = findRoomVersion(made.room_version ?? '1');
  if (version === undefined || made.event === undefined) {
    throw new MatrixError('M_UNSUPPORTED_ROOM_VERSION', 400, `Room version ${String(made.room_version)} is not supported`);
  }
  const template = made.event;
  const templateContent = (typeof template.content === 'object' && template.content !== null ? template.content : {}) as JsonObject;
  const { pdu, eventId } = signMembershipFromTemplate(deps, version, template, roomId, userId, {
    ...content,
    ...(templateContent.join_authorised_via_users_server !== undefined
      ? { join_authorised_via_users_server: templateContent.join_authorised_via_users_server }
      : {}),
    membership: 'join',
  });
  // Partial state (MSC3706): the resident leaves out the members; we resync them in the background.
  const askPartial = deps.config.partialStateJoins !== false;
  const sent = await client.putJson<SendJoinResponse>(server, federationPath`/_matrix/federation/v2/send_join/${roomId}/${eventId}`, pdu, {
    timeoutMs: 120_000,
    ...(askPartial ? { query: { omit_members: 'true' } } : {}),
  });
  // A restricted join comes back countersigned by the authorising server (checked like any PDU: the
  // authoriser's signature is required); without it the join would be rejected by every other server.
  let joinEvent: RoomEvent = { eventId, pdu: pdu as unknown as RoomEvent['pdu'] };
  const [countersigned] = sent.event !== undefined ? await checkAll(deps, version, roomId, [sent.event]) : [];
  if (countersigned !== undefined && countersigned.eventId === eventId) joinEvent = countersigned;
  else if (templateContent.join_authorised_via_users_server !== undefined) {
    throw new MatrixError('M_UNKNOWN', 502, `${server} did not countersign the restricted join`);
  }
  const state = await checkAll(deps, version, roomId, sent.state);
  const authChain = await checkAll(deps, version, roomId, sent.auth_chain);
  if (askPartial && sent.members_omitted === true) {
    // servers_in_room only decides where our events go until the resync knows the members.
    const servers = (Array.isArray(sent.servers_in_room) ? sent.servers_in_room : []).filter((x): x is string => typeof x === 'string' && isValidServerName(x));
    const list = [...new Set([server, ...servers.slice(0, MAX_SERVERS_IN_ROOM)])].filter((x) => x !== deps.config.serverName);
    await deps.rooms.persistJoinedRoom(roomId, version, state, authChain, joinEvent, { joinedVia: server, servers: list });
    return 'partial';
  }
  await deps.rooms.persistJoinedRoom(roomId, version, state, authChain, joinEvent);
  return 'full';
}

/** More servers than this in servers_in_room is not a room we will send to blindly. */
const MAX_SERVERS_IN_ROOM = 10_000;

export async function joinRemoteRoom(
  deps: FederationRoomsDeps,
  userId: UserId,
  roomId: RoomId,
  servers: readonly string[],
  content: JsonObject,
  onPartialJoin: (roomId: RoomId) => void = () => {},
): Promise<void> {
  let last: unknown;
  for (const server of servers) {
    try {
      if ((await joinVia(deps, server, userId, roomId, content)) === 'partial') onPartialJoin(roomId);
      return;
    } catch (err) {
      last = err;
      deps.logger.info({ err, server, roomId }, 'remote join attempt failed');
      // A refusal of the room itself (forbidden, banned) is the same from every server.
      if (err instanceof FederationRequestError && err.status === 403) break;
    }
  }
  throw remoteMembershipError(last, `join ${roomId} through ${servers.join(', ')}`);
}
