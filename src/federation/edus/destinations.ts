import { serverNameOf } from '../../protocol/index.js';
import type { RoomReadStore } from '../../storage/interfaces/index.js';
import type { RoomId, UserId } from '../../types/ids.js';

// Which servers an EDU goes to: those with users joined to the room (typing, receipts), or to any room the
// user is in (presence, device lists). Our own server is filtered out by the transaction sender.

export type MembershipReader = Pick<RoomReadStore, 'getRoomMembers' | 'getRoomsForUser'>;

export async function serversInRoom(rooms: MembershipReader, roomId: RoomId): Promise<Set<string>> {
  const out = new Set<string>();
  for (const m of await rooms.getRoomMembers(roomId, ['join'])) {
    const server = serverNameOf(m.userId);
    if (server !== undefined) out.add(server);
  }
  return out;
}

export async function serversSharingRoomWith(rooms: MembershipReader, userId: UserId): Promise<Set<string>> {
  const out = new Set<string>();
  for (const r of await rooms.getRoomsForUser(userId, ['join'])) {
    for (const s of await serversInRoom(rooms, r.roomId)) out.add(s);
  }
  return out;
}
