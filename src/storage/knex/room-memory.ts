import { RecentEventGroups } from './recent-event-groups.js';
import { RoomChangeLog } from './room-change-log.js';
import { UserRoomsCache } from './user-rooms-cache.js';

// What the room writes of this process keep in memory for the room reads, each told of a commit after it and
// before its stream orderings are marked done. Like the stream id generators, they assume this process is the
// only writer of the rooms' tables.
export interface RoomMemory {
  /** Rooms with new timeline events, users with new membership events (room-change-log.ts). */
  changes: RoomChangeLog;
  /** State groups of the events written last (recent-event-groups.ts). */
  eventGroups: RecentEventGroups;
  /** Each user's current memberships (user-rooms-cache.ts). */
  userRooms: UserRoomsCache;
}

export function newRoomMemory(): RoomMemory {
  return { changes: new RoomChangeLog(), eventGroups: new RecentEventGroups(), userRooms: new UserRoomsCache() };
}
