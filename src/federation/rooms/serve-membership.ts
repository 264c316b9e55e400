import { badJson, forbidden, MatrixError } from '../../errors/index.js';
import { serverNameOf } from '../../protocol/index.js';
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { Pdu, StateKey } from '../../types/pdu.js';
import { checkIncomingPdu } from './check-pdu.js';
import { countersignRestrictedJoin } from './countersign-join.js';
import type { FederationRoomsDeps } from './deps.js';
import { authChainIds } from './state-queries.js';
import type { StoredEvent } from '../../storage/interfaces/index.js';
import { joinedServers, roomVersionOf } from './room-access.js';

// Serving remote users' membership changes (server-server API, "Joining rooms", "Leaving rooms",
// "Knocking"): make_* hands out an unsigned template built on our current state, send_* takes the signed
// event, runs the checks on receipt, persists it, and forwards it to the other servers in the room.

export type MembershipKind = 'join' | 'leave' | 'knock';

export async function makeMembership(
  deps: FederationRoomsDeps,
  origin: string,
  roomId: RoomId,
  userId: UserId,
  kind: MembershipKind,
  supportedVersions: readonly string[] | null,
): Promise<{ event: Record<string, unknown>; room_version: string }> {
  if (serverNameOf(userId) !== origin) throw forbidden(`${origin} cannot make events for ${userId}`);
  const version = await roomVersionOf(deps.storage, roomId);
  if (supportedVersions !== null && !supportedVersions.includes(version.id)) {
    throw new MatrixError('M_INCOMPATIBLE_ROOM_VERSION', 400, `Your server does not support room version ${version.id}`, { room_version: version.id });
  }
  const { event } = await deps.rooms.membershipTemplate(roomId, userId, kind);
  // `origin` names the resident server (the spec requires it in the template; newer versions ignore it).
  return { event: { ...event, origin: deps.config.serverName }, room_version: version.id };
}

export async function sendMembership(
  deps: FederationRoomsDeps,
  origin: string,
  roomId: RoomId,
  eventId: EventId,
  kind: MembershipKind,
  body: JsonObject,
): Promise<Pdu> {
  const version = await roomVersionOf(deps.storage, roomId);
  const signed = kind === 'join' ? await countersignRestrictedJoin(deps, version, roomId, body) : body;
  const checked = await checkIncomingPdu(deps.federation.keyring, version, signed);
  if (!checked.ok) throw badJson(checked.reason);
  const { event } = checked;
  const { pdu } = event;
  if (event.eventId !== eventId) throw badJson(`The event id is ${event.eventId}, not ${eventId}`);
  if (pdu.room_id !== roomId) throw badJson('The event is for another room');
  if (pdu.type !== 'm.room.member' || pdu.state_key !== pdu.sender || pdu.content.membership !== kind) {
    throw badJson(`Not a ${kind} membership event of its sender`);
  }
  if (serverNameOf(pdu.sender) !== origin) throw forbidden(`${origin} cannot send events for ${pdu.sender}`);
  const result = await deps.rooms.receive(roomId, event);
  if (result.outcome === 'soft_failed') throw forbidden(`The ${kind} is not allowed by the current state of the room`);
  const destinations = await joinedServers(deps.storage, roomId);
  destinations.delete(origin);
  destinations.delete(deps.config.serverName);
  if (destinations.size > 0) await deps.federation.sender.sendPdus(destinations, [{ eventId, roomId }]);
  return pdu;
}

/**
 * send_join v2: the state before the join and its auth chain, which the joining server starts from. With
 * `omitMembers` (MSC3706, spec v1.6) membership events are left out except the joiner's own and, in a room
 * with neither name nor canonical alias, those of the heroes its summary would show; the auth chain then
 * covers only what is returned, less the events already in `state`.
 */
export async function sendJoinResponse(deps: FederationRoomsDeps, roomId: RoomId, eventId: EventId, pdu: Pdu, omitMembers = false): Promise<JsonObject> {
  const before = await deps.storage.rooms.getStateIdsBeforeEvent(eventId);
  if (before === undefined) throw new MatrixError('M_UNKNOWN', 500, 'The join was not stored with its state');
  let stateIds = [...before.values()];
  const events = await deps.storage.rooms.getEvents(stateIds);
  if (omitMembers) stateIds = keptWithoutMembers(before, events, pdu.state_key ?? '');
  const state = stateIds.map((id) => events.get(id)?.pdu).filter((p): p is Pdu => p !== undefined);
  const inState = new Set(stateIds);
  const chainIds = (await authChainIds(deps, [...stateIds, eventId], roomId)).filter((id) => !omitMembers || !inState.has(id));
  const chainEvents = await deps.storage.rooms.getEvents(chainIds);
  const authChain = chainIds.map((id) => chainEvents.get(id)?.pdu).filter((p): p is Pdu => p !== undefined);
  const servers = [...(await joinedServers(deps.storage, roomId))];
  return {
    origin: deps.config.serverName,
    state: state as unknown as JsonObject[],
    auth_chain: authChain as unknown as JsonObject[],
    event: pdu as unknown as JsonObject,
    members_omitted: omitMembers,
    servers_in_room: servers,
  };
}

/** The heroes of a room summary (client-server /sync): at most this many members. */
const HEROES = 5;

function keptWithoutMembers(before: ReadonlyMap<StateKey, EventId>, events: ReadonlyMap<EventId, StoredEvent>, joiner: string): EventId[] {
  const kept: EventId[] = [];
  const members: StoredEvent[] = [];
  let named = false;
  for (const id of before.values()) {
    const e = events.get(id);
    if (e === undefined) continue;
    if (e.pdu.type !== 'm.room.member') {
      if ((e.pdu.type === 'm.room.name' && typeof e.pdu.content.name === 'string' && e.pdu.content.name !== '') || (e.pdu.type === 'm.room.canonical_alias' && typeof e.pdu.content.alias === 'string')) named = true;
      kept.push(id);
    } else if (e.pdu.state_key === joiner) kept.push(id);
    else members.push(e);
  }
  if (!named) {
    const heroes = members
      .filter((e) => e.pdu.content.membership === 'join' || e.pdu.content.membership === 'invite')
      .sort((a, b) => a.streamOrdering - b.streamOrdering)
      .slice(0, HEROES);
    for (const h of heroes) kept.push(h.eventId);
  }
  return kept;
}

const STRIPPED_TYPES = ['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic'];

/** send_knock's knock_room_state: the state a knocking user sees before being let in (create event as a full PDU). */
export async function knockRoomState(deps: FederationRoomsDeps, roomId: RoomId): Promise<JsonObject[]> {
  const out: JsonObject[] = [];
  for (const type of STRIPPED_TYPES) {
    const ev = await deps.storage.rooms.getCurrentStateEvent(roomId, type, '');
    if (ev === undefined) continue;
    if (type === 'm.room.create') {
      const { unsigned: _u, ...pdu } = ev.pdu;
      out.push(pdu as unknown as JsonObject);
    } else {
      out.push({ type, state_key: '', sender: ev.pdu.sender, content: ev.pdu.content });
    }
  }
  return out;
}
