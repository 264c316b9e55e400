import type { MembershipRow } from '../storage/interfaces/index.js';
import type { RoomId } from '../types/ids.js';
import { roomMatches } from './filter.js';
import type { RoomLists, SyncComputation } from './types.js';

// Sorts the user's rooms into the /sync sections, from their memberships as of the `to` position and the
// membership events between `since` and `to`.

export async function computeRoomLists(c: SyncComputation, forgottenRooms: () => Promise<ReadonlySet<RoomId>>): Promise<RoomLists> {
  const userId = c.requester.userId;
  const to = c.to.events;
  const since = c.since?.events ?? null;
  const roomFilter = c.filter.room;

  // Current rows may already be past `to` (a membership committed while we computed): read those at `to`.
  // Both reads at once: on PostgreSQL each is a round trip.
  const [current, changes] = await Promise.all([
    c.rooms.getRoomsForUser(userId),
    since === null || since >= to ? [] : c.rooms.getMembershipChangesForUser(userId, since, to),
  ]);
  const rows: MembershipRow[] = [];
  for (const row of current) {
    if (row.streamOrdering <= to) rows.push(row);
    else {
      const at = await c.rooms.getMembershipAt(row.roomId, userId, to);
      if (at) rows.push(at);
    }
  }

  const changed = new Map<RoomId, MembershipRow[]>();
  for (const ch of changes) {
    const list = changed.get(ch.roomId);
    if (list) list.push(ch);
    else changed.set(ch.roomId, [ch]);
  }
  const atSince = async (roomId: RoomId): Promise<string | undefined> =>
    since === null ? undefined : (await c.rooms.getMembershipAt(roomId, userId, since))?.membership;

  const lists: RoomLists = {
    joinedIncremental: [],
    joinedFull: [],
    invited: [],
    knocked: [],
    left: [],
    allJoined: [],
    newlyLeft: [],
    newlyJoined: [],
    changes: since === null ? null : changes,
  };
  let forgotten: ReadonlySet<RoomId> | undefined;
  for (const row of rows) {
    const roomChanges = changed.get(row.roomId);
    if (row.membership === 'join') lists.allJoined.push(row.roomId);
    if (!roomMatches(roomFilter, row.roomId)) continue;
    switch (row.membership) {
      case 'join': {
        if (since === null) {
          lists.joinedFull.push(row);
          break;
        }
        // A room is new to the client if the user was not joined at `since`, or left and came back since.
        const rejoined = roomChanges?.some((ch) => ch.membership !== 'join') ?? false;
        const wasJoined = roomChanges === undefined || (!rejoined && (await atSince(row.roomId)) === 'join');
        if (!wasJoined) lists.newlyJoined.push(row.roomId);
        if (c.fullState || !wasJoined) lists.joinedFull.push(row);
        else lists.joinedIncremental.push(row);
        break;
      }
      case 'invite':
        if (since === null || c.fullState || roomChanges) lists.invited.push(row);
        break;
      case 'knock':
        if (since === null || c.fullState || roomChanges) lists.knocked.push(row);
        break;
      case 'leave':
      case 'ban': {
        // Only left rooms can be forgotten; look the set up once, and only when there is one to check.
        forgotten ??= await forgottenRooms();
        if (forgotten.has(row.roomId)) break;
        if (since === null) {
          if (roomFilter?.include_leave === true) lists.left.push(row);
          break;
        }
        if (!roomChanges) break;
        lists.left.push(row);
        if ((await atSince(row.roomId)) === 'join') lists.newlyLeft.push(row.roomId);
        break;
      }
    }
  }
  return lists;
}
