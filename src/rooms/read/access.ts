import { forbidden } from '../../errors/index.js';
import type { RoomReadStore } from '../../storage/interfaces/index.js';
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import { currentHistoryVisibility } from './visibility.js';

// Who may read a room at all, before per-event visibility applies (Synapse's "user in room or world
// readable, departed users allowed"): joined members read up to now; users who left or were banned read up
// to their leave; anyone may read a world_readable room; everyone else gets M_FORBIDDEN.

export interface RoomAccess {
  roomId: RoomId;
  /** The user's current membership, null when they have none. */
  membership: string | null;
  /** Their current member event, when they have one. */
  memberEventId: EventId | null;
  /** For departed users: the stream position of their leave/ban; reads stop there. Null: up to now. */
  upTo: number | null;
  worldReadable: boolean;
}

export interface AccessOptions {
  /** Users who left or were banned may read up to their departure (default true). */
  allowDeparted?: boolean;
}

function notInRoom(userId: UserId, roomId: RoomId) {
  return forbidden(`User ${userId} not in room ${roomId}, and room previews are disabled`);
}

/** The user's current membership in the room from current state. */
export async function currentMembership(
  store: RoomReadStore,
  roomId: RoomId,
  userId: UserId,
): Promise<{ membership: string; eventId: EventId; streamOrdering: number } | undefined> {
  const ev = await store.getCurrentStateEvent(roomId, 'm.room.member', userId);
  const membership = ev?.pdu.content.membership;
  if (ev === undefined || typeof membership !== 'string') return undefined;
  return { membership, eventId: ev.eventId, streamOrdering: ev.streamOrdering };
}

/** Resolves what the user may read in the room, or throws M_FORBIDDEN. */
export async function assertUserInRoomOrVisible(
  store: RoomReadStore,
  roomId: RoomId,
  userId: UserId,
  opts: AccessOptions = {},
): Promise<RoomAccess> {
  const member = await currentMembership(store, roomId, userId);
  if (member?.membership === 'join') {
    return { roomId, membership: 'join', memberEventId: member.eventId, upTo: null, worldReadable: false };
  }
  const departed = member !== undefined && (member.membership === 'leave' || member.membership === 'ban');
  if (departed && (opts.allowDeparted ?? true)) {
    return {
      roomId,
      membership: member.membership,
      memberEventId: member.eventId,
      upTo: member.streamOrdering,
      worldReadable: false,
    };
  }
  if ((await currentHistoryVisibility(store, roomId)) === 'world_readable') {
    return { roomId, membership: member?.membership ?? null, memberEventId: member?.eventId ?? null, upTo: null, worldReadable: true };
  }
  throw notInRoom(userId, roomId);
}

/** Only current members pass (e.g. /joined_members). */
export async function assertUserJoined(store: RoomReadStore, roomId: RoomId, userId: UserId, message?: string): Promise<void> {
  const member = await currentMembership(store, roomId, userId);
  if (member?.membership !== 'join') throw forbidden(message ?? `User ${userId} not in room ${roomId}`);
}
