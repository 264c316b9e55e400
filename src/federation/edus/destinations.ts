import { serverNameOf } from '../../protocol/index.js';
import type { RoomReadStore } from '../../storage/interfaces/index.js';
import type { RoomId, UserId } from '../../types/ids.js';

// Which servers an EDU goes to: those with users joined to the room (typing, receipts), or to any room the
// user is in (presence, device lists). Our own server is filtered out by the transaction sender.

export type MembershipReader = Pick<RoomReadStore, 'getRoomMembers' | 'getRoomsForUser' | 'getJoinedServersOfRooms'>;

export async function serversInRoom(rooms: MembershipReader, roomId: RoomId): Promise<Set<string>> {
  const out = new Set<string>();
  for (const m of await rooms.getRoomMembers(roomId, ['join'])) {
    const server = serverNameOf(m.userId);
    if (server !== undefined) out.add(server);
  }
  return out;
}

export async function serversSharingRoomWith(rooms: MembershipReader, userId: UserId): Promise<Set<string>> {
  // One DISTINCT read over all the user's rooms (per chunk), not one member list per room: a presence change
  // (every initial sync sets the user online) of a user in 1,000 rooms read 1,000 member lists.
  const joined = (await rooms.getRoomsForUser(userId, ['join'])).map((r) => r.roomId);
  if (joined.length === 0) return new Set();
  const out = new Set<string>();
  // Kept to what serversInRoom names: the server part of a valid user id.
  for (const server of await rooms.getJoinedServersOfRooms(joined)) if (serverNameOf(`@u:${server}`) === server) out.add(server);
  return out;
}
