import { notFound } from '../../errors/index.js';
import type { EventId, RoomId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { Pdu } from '../../types/pdu.js';
import type { FederationRoomsDeps } from './deps.js';
import { assertServerMayRead } from './room-access.js';

// Retrieving events (server-server API): /event/{eventId}, /state/{roomId}, /state_ids/{roomId} and
// /event_auth/{roomId}/{eventId}, each only for servers allowed to see the room.

function authIds(pdu: Pdu): EventId[] {
  return pdu.auth_events.map((ref) => (typeof ref === 'string' ? ref : ref[0]));
}

/**
 * The auth chain (transitive auth_events) of the given events, as event ids. In versions where the create
 * event is not an auth event (v12) it is added, so the receiver can check the chain on its own.
 */
export async function authChainIds(deps: FederationRoomsDeps, ids: readonly EventId[], roomId?: RoomId): Promise<EventId[]> {
  const seen = new Set<EventId>();
  let frontier = [...(await deps.storage.rooms.getEvents(ids)).values()].map((e) => e.pdu);
  while (frontier.length > 0) {
    const next: EventId[] = [];
    for (const pdu of frontier) for (const a of authIds(pdu)) if (!seen.has(a)) { seen.add(a); next.push(a); }
    frontier = next.length > 0 ? [...(await deps.storage.rooms.getEvents(next)).values()].map((e) => e.pdu) : [];
  }
  if (roomId !== undefined) {
    const create = await deps.storage.rooms.getCurrentStateEvent(roomId, 'm.room.create', '');
    if (create !== undefined && !ids.includes(create.eventId)) seen.add(create.eventId);
  }
  return [...seen];
}

export async function authChainPdus(deps: FederationRoomsDeps, ids: readonly EventId[], roomId?: RoomId): Promise<Pdu[]> {
  const chain = await authChainIds(deps, ids, roomId);
  const events = await deps.storage.rooms.getEvents(chain);
  return chain.map((id) => events.get(id)?.pdu).filter((p): p is Pdu => p !== undefined);
}

/** A stored event as it goes over federation: the PDU without our local unsigned data. */
function wire(pdu: Pdu): JsonObject {
  const { unsigned: _u, ...rest } = pdu;
  return rest as unknown as JsonObject;
}

export async function getEventForServer(deps: FederationRoomsDeps, origin: string, eventId: EventId): Promise<JsonObject> {
  const ev = await deps.storage.rooms.getEvent(eventId);
  if (ev === undefined || ev.rejectedReason !== null) throw notFound(`Event ${eventId} not found`);
  await assertServerMayRead(deps.storage, ev.roomId, origin);
  return { origin: deps.config.serverName, origin_server_ts: deps.now(), pdus: [wire(ev.pdu)] };
}

async function stateIdsAt(deps: FederationRoomsDeps, origin: string, roomId: RoomId, eventId: EventId): Promise<EventId[]> {
  await assertServerMayRead(deps.storage, roomId, origin);
  const ev = await deps.storage.rooms.getEvent(eventId);
  if (ev === undefined || ev.roomId !== roomId) throw notFound(`Event ${eventId} not found in ${roomId}`);
  const state = await deps.storage.rooms.getStateIdsBeforeEvent(eventId);
  if (state === undefined) throw notFound(`The state at ${eventId} is not known`);
  return [...state.values()];
}

export async function getStateIds(deps: FederationRoomsDeps, origin: string, roomId: RoomId, eventId: EventId): Promise<JsonObject> {
  const pduIds = await stateIdsAt(deps, origin, roomId, eventId);
  return { pdu_ids: pduIds, auth_chain_ids: await authChainIds(deps, pduIds, roomId) };
}

export async function getState(deps: FederationRoomsDeps, origin: string, roomId: RoomId, eventId: EventId): Promise<JsonObject> {
  const pduIds = await stateIdsAt(deps, origin, roomId, eventId);
  const events = await deps.storage.rooms.getEvents(pduIds);
  const pdus = pduIds.map((id) => events.get(id)?.pdu).filter((p): p is Pdu => p !== undefined).map(wire);
  const chain = (await authChainPdus(deps, pduIds, roomId)).map(wire);
  return { pdus, auth_chain: chain };
}

export async function getEventAuth(deps: FederationRoomsDeps, origin: string, roomId: RoomId, eventId: EventId): Promise<JsonObject> {
  await assertServerMayRead(deps.storage, roomId, origin);
  const ev = await deps.storage.rooms.getEvent(eventId);
  if (ev === undefined || ev.roomId !== roomId) throw notFound(`Event ${eventId} not found in ${roomId}`);
  return { auth_chain: (await authChainPdus(deps, [eventId], roomId)).map(wire) };
}
