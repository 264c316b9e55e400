import { DEFAULT_ROOM_VERSION, findRoomVersion, powerLevelsView, roomVersion } from '../../protocol/index.js';
import type { RoomReadStore } from '../../storage/interfaces/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import { currentMembership } from './access.js';

// "May this user edit the room's directory entries?" (Synapse's check_can_change_room_list): a current member
// whose power level reaches what sending m.room.canonical_alias requires. Used for alias deletion by someone
// other than the alias's creator and for the room's published visibility.

export async function canChangeRoomList(store: RoomReadStore, roomId: RoomId, userId: UserId): Promise<boolean> {
  const member = await currentMembership(store, roomId, userId);
  if (member?.membership !== 'join') return false;
  const room = await store.getRoom(roomId);
  const version = (room && findRoomVersion(room.roomVersion)) ?? roomVersion(DEFAULT_ROOM_VERSION);
  const [pl, create] = await Promise.all([
    store.getCurrentStateEvent(roomId, 'm.room.power_levels', ''),
    store.getCurrentStateEvent(roomId, 'm.room.create', ''),
  ]);
  const levels = powerLevelsView(
    version,
    pl && { eventId: pl.eventId, pdu: pl.pdu },
    create && { eventId: create.eventId, pdu: create.pdu },
  );
  return levels.userLevel(userId) >= levels.eventLevel('m.room.canonical_alias', true);
}
