import type { RoomId, UserId } from '../../types/ids.js';
import type { MembershipRow, PartialStateRoom } from '../interfaces/index.js';
import { CommitCache } from './commit-cache.js';
import { RecentEventGroups } from './recent-event-groups.js';
import { RoomChangeLog } from './room-change-log.js';

// What the room writes of this process keep in memory for the room reads, each told of a commit after it and
// before its stream orderings are marked done. Like the stream id generators, they assume this process is the
// only writer of the rooms' tables.
export interface RoomMemory {
  /** Rooms with new timeline events, users with new membership events (room-change-log.ts). */
  changes: RoomChangeLog;
  /** State groups of the events written last (recent-event-groups.ts). */
  eventGroups: RecentEventGroups;
  /** Each user's current memberships (commit-cache.ts). */
  userRooms: CommitCache<UserId, MembershipRow[]>;
  /** Each room's joined members (typing and receipt destinations, device lists, appservice interest). */
  joinedMembers: CommitCache<RoomId, MembershipRow[]>;
  /** Each room's servers with joined members. */
  joinedServers: CommitCache<RoomId, string[]>;
  /** Each room's partial-state record; null for a room with its full state. */
  partialState: CommitCache<RoomId, PartialStateRoom | null>;
}

/** Cached rows at most, per cache: a few MB at worst. */
const MAX_ROWS = 50_000;

export function newRoomMemory(): RoomMemory {
  return {
    changes: new RoomChangeLog(),
    eventGroups: new RecentEventGroups(),
    userRooms: new CommitCache({ weigh: (rows) => rows.length + 1, copy: (rows) => rows.map((r) => ({ ...r })), maxWeight: MAX_ROWS }),
    joinedMembers: new CommitCache({ weigh: (rows) => rows.length + 1, copy: (rows) => rows.map((r) => ({ ...r })), maxWeight: MAX_ROWS }),
    joinedServers: new CommitCache({ weigh: (servers) => servers.length + 1, copy: (servers) => [...servers], maxWeight: MAX_ROWS }),
    partialState: new CommitCache({ weigh: () => 1, copy: (p) => (p === null ? null : { ...p, servers: [...p.servers] }), maxWeight: MAX_ROWS }),
  };
}
