// Federation of rooms: inbound PDUs (transactions), serving and making joins and leaves, event and state
// queries, and sending our events to the other servers of a room. Built in main.ts.
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { Pdu } from '../../types/pdu.js';
import type { FederationRoomsDeps } from './deps.js';
import { inviteRemoteUser, receiveInvite } from './invites.js';
import { joinRemoteRoom } from './join-remote-room.js';
import { knockRemoteRoom } from './knock-remote-room.js';
import { leaveRemoteRoom } from './leave-remote-room.js';
import { receivePdus, type PduResults } from './receive-transaction.js';
import { startSendingLocalEvents } from './send-local-events.js';
import { createPartialStateResyncer } from './partial-state-resync.js';
import { knockRoomState, makeMembership, sendJoinResponse, sendMembership, type MembershipKind } from './serve-membership.js';
import { assertServerAllowedInRoom } from './server-acl.js';
import { backfillRoom, BackfillTracker, serveBackfill } from './backfill.js';
import { GapRateLimiter } from './fill-gap.js';
import { serveMissingEvents } from './get-missing-events.js';
import { getEventAuth, getEventForServer, getState, getStateIds } from './state-queries.js';

export type { FederationRoomsDeps } from './deps.js';
export type { PduResults } from './receive-transaction.js';
export type { MembershipKind } from './serve-membership.js';

export interface FederationRoomsService {
  receivePdus(origin: string, txnId: string, pdus: readonly unknown[]): Promise<PduResults>;
  /** 403 M_FORBIDDEN when the room's server ACL denies `origin` (the spec's protected endpoints call this first). */
  assertServerAllowed(origin: string, roomId: RoomId): Promise<void>;
  makeMembership(
    origin: string,
    roomId: RoomId,
    userId: UserId,
    kind: MembershipKind,
    supportedVersions: readonly string[] | null,
  ): Promise<{ event: Record<string, unknown>; room_version: string }>;
  sendMembership(origin: string, roomId: RoomId, eventId: EventId, kind: MembershipKind, body: JsonObject): Promise<Pdu>;
  /** send_join v2's answer; with `omitMembers` (MSC3706) the state leaves out members the joiner does not need. */
  sendJoinResponse(roomId: RoomId, eventId: EventId, pdu: Pdu, omitMembers?: boolean): Promise<JsonObject>;
  /** send_knock's knock_room_state. */
  knockRoomState(roomId: RoomId): Promise<JsonObject[]>;
  getEvent(origin: string, eventId: EventId): Promise<JsonObject>;
  getState(origin: string, roomId: RoomId, eventId: EventId): Promise<JsonObject>;
  getStateIds(origin: string, roomId: RoomId, eventId: EventId): Promise<JsonObject>;
  getEventAuth(origin: string, roomId: RoomId, eventId: EventId): Promise<JsonObject>;
  /** POST /get_missing_events: the events before `latest_events` the requester lacks. */
  getMissingEvents(origin: string, roomId: RoomId, body: JsonObject): Promise<JsonObject>;
  /** GET /backfill: the `from` events and those before them. */
  backfill(origin: string, roomId: RoomId, from: readonly string[], limit: number): Promise<JsonObject>;
  /** Fetches history older than what we hold from a server in the room; true when events were added. */
  fetchOlderHistory(roomId: RoomId): Promise<boolean>;
  /** The rooms service's remote-membership port: join a room we are not in. */
  joinRemoteRoom(userId: UserId, roomId: RoomId, servers: readonly string[], content: JsonObject): Promise<void>;
  /** The port's knock: knock on a room we are not in (make_knock / send_knock). */
  knockRemoteRoom(userId: UserId, roomId: RoomId, servers: readonly string[], content: JsonObject): Promise<void>;
  /** The port's leave: reject an invite (retract a knock) in a room we are not in. */
  leaveRemoteRoom(userId: UserId, roomId: RoomId, servers: readonly string[], content: JsonObject): Promise<void>;
  /** The port's invite: the invitee's server countersigns our invite. */
  inviteRemoteUser(roomId: RoomId, roomVersion: string, event: Pdu, inviteRoomState: readonly JsonObject[]): Promise<Pdu>;
  /** PUT /v2/invite: countersign and record an invite of one of our users. */
  receiveInvite(origin: string, roomId: RoomId, eventId: EventId, body: JsonObject): Promise<JsonObject>;
  /** Stops sending our events out; resolves once the batch in flight is queued. */
  close(): Promise<void>;
}

export function createFederationRoomsService(deps: FederationRoomsDeps): FederationRoomsService {
  const stop = startSendingLocalEvents(deps);
  const resyncer = createPartialStateResyncer(deps);
  // Rooms joined with partial state before a restart continue their resync.
  resyncer.resumeAll().catch((err: unknown) => deps.logger.error({ err }, 'could not resume partial-state resyncs'));
  const gaps = new GapRateLimiter(deps.now);
  const backfills = new BackfillTracker();
  return {
    receivePdus: (origin, txnId, pdus) => receivePdus(deps, origin, txnId, pdus, gaps),
    assertServerAllowed: (origin, roomId) => assertServerAllowedInRoom(deps.storage.rooms, roomId, origin),
    makeMembership: (origin, roomId, userId, kind, versions) => makeMembership(deps, origin, roomId, userId, kind, versions),
    sendMembership: (origin, roomId, eventId, kind, body) => sendMembership(deps, origin, roomId, eventId, kind, body),
    sendJoinResponse: (roomId, eventId, pdu, omitMembers) => sendJoinResponse(deps, roomId, eventId, pdu, omitMembers),
    knockRoomState: (roomId) => knockRoomState(deps, roomId),
    getEvent: (origin, eventId) => getEventForServer(deps, origin, eventId),
    getState: (origin, roomId, eventId) => getState(deps, origin, roomId, eventId),
    getStateIds: (origin, roomId, eventId) => getStateIds(deps, origin, roomId, eventId),
    getEventAuth: (origin, roomId, eventId) => getEventAuth(deps, origin, roomId, eventId),
    getMissingEvents: (origin, roomId, body) => serveMissingEvents(deps, origin, roomId, body),
    backfill: (origin, roomId, from, limit) => serveBackfill(deps, origin, roomId, from, limit),
    fetchOlderHistory: (roomId) => backfillRoom(deps, backfills, roomId),
    joinRemoteRoom: (userId, roomId, servers, content) => joinRemoteRoom(deps, userId, roomId, servers, content, (r) => void resyncer.resync(r)),
    knockRemoteRoom: (userId, roomId, servers, content) => knockRemoteRoom(deps, userId, roomId, servers, content),
    leaveRemoteRoom: (userId, roomId, servers, content) => leaveRemoteRoom(deps, userId, roomId, servers, content),
    inviteRemoteUser: (roomId, roomVersion, event, state) => inviteRemoteUser(deps, roomId, roomVersion, event, state),
    receiveInvite: (origin, roomId, eventId, body) => receiveInvite(deps, origin, roomId, eventId, body),
    close: async () => {
      resyncer.close();
      await stop();
    },
  };
}
