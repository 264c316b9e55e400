// Federation of rooms: inbound PDUs (transactions), serving and making joins and leaves, event and state
// queries, and sending our events to the other servers of a room. Built in main.ts.
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { Pdu } from '../../types/pdu.js';
import type { FederationRoomsDeps } from './deps.js';
import { joinRemoteRoom } from './join-remote-room.js';
import { receivePdus, type PduResults } from './receive-transaction.js';
import { startSendingLocalEvents } from './send-local-events.js';
import { makeMembership, sendJoinResponse, sendMembership, type MembershipKind } from './serve-membership.js';
import { getEventAuth, getEventForServer, getState, getStateIds } from './state-queries.js';

export type { FederationRoomsDeps } from './deps.js';
export type { PduResults } from './receive-transaction.js';
export type { MembershipKind } from './serve-membership.js';

export interface FederationRoomsService {
  receivePdus(origin: string, txnId: string, pdus: readonly unknown[]): Promise<PduResults>;
  makeMembership(
    origin: string,
    roomId: RoomId,
    userId: UserId,
    kind: MembershipKind,
    supportedVersions: readonly string[] | null,
  ): Promise<{ event: Record<string, unknown>; room_version: string }>;
  sendMembership(origin: string, roomId: RoomId, eventId: EventId, kind: MembershipKind, body: JsonObject): Promise<Pdu>;
  sendJoinResponse(roomId: RoomId, eventId: EventId, pdu: Pdu): Promise<JsonObject>;
  getEvent(origin: string, eventId: EventId): Promise<JsonObject>;
  getState(origin: string, roomId: RoomId, eventId: EventId): Promise<JsonObject>;
  getStateIds(origin: string, roomId: RoomId, eventId: EventId): Promise<JsonObject>;
  getEventAuth(origin: string, roomId: RoomId, eventId: EventId): Promise<JsonObject>;
  /** The rooms service's remote-membership port: join a room we are not in. */
  joinRemoteRoom(userId: UserId, roomId: RoomId, servers: readonly string[], content: JsonObject): Promise<void>;
  /** Stops sending our events out. */
  close(): void;
}

export function createFederationRoomsService(deps: FederationRoomsDeps): FederationRoomsService {
  const stop = startSendingLocalEvents(deps);
  return {
    receivePdus: (origin, txnId, pdus) => receivePdus(deps, origin, txnId, pdus),
    makeMembership: (origin, roomId, userId, kind, versions) => makeMembership(deps, origin, roomId, userId, kind, versions),
    sendMembership: (origin, roomId, eventId, kind, body) => sendMembership(deps, origin, roomId, eventId, kind, body),
    sendJoinResponse: (roomId, eventId, pdu) => sendJoinResponse(deps, roomId, eventId, pdu),
    getEvent: (origin, eventId) => getEventForServer(deps, origin, eventId),
    getState: (origin, roomId, eventId) => getState(deps, origin, roomId, eventId),
    getStateIds: (origin, roomId, eventId) => getStateIds(deps, origin, roomId, eventId),
    getEventAuth: (origin, roomId, eventId) => getEventAuth(deps, origin, roomId, eventId),
    joinRemoteRoom: (userId, roomId, servers, content) => joinRemoteRoom(deps, userId, roomId, servers, content),
    close: stop,
  };
}
