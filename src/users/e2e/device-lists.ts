import type { MembershipRow } from '../../storage/interfaces/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import type { E2eContext } from './context.js';

// Which users' device lists a user must refetch (/sync device_lists and /keys/changes): users sharing a room
// with them whose devices or keys changed, users they newly share a room with (a join on either side), and,
// as `left`, users they no longer share any room with.

/** A pair of stream positions: the events stream (memberships) and the device-list stream. */
export interface DeviceListPositions {
  events: number;
  deviceLists: number;
}

export interface DeviceListChanges {
  changed: UserId[];
  left: UserId[];
}

/**
 * What a /sync already read, so its device_lists section does not read it again: the rooms joined at `to`,
 * the user's membership events in (from, to], and reads shared with the other syncs at the same position.
 */
export interface KnownMemberships {
  joinedRooms: readonly RoomId[];
  membershipChanges: readonly MembershipRow[];
  shared?: { once<T>(key: string, load: () => Promise<T>): Promise<T> };
}

export async function deviceListChanges(
  ctx: E2eContext,
  userId: UserId,
  from: DeviceListPositions,
  to: DeviceListPositions,
  known?: KnownMemberships,
): Promise<DeviceListChanges> {
  const rooms = ctx.storage.rooms;
  const myRooms = new Set<RoomId>(known ? known.joinedRooms : (await rooms.getRoomsForUser(userId, ['join'])).map((m) => m.roomId));
  const changed = new Set<UserId>();
  // Users who may have stopped sharing rooms with us: checked against current memberships at the end.
  const maybeLeft = new Set<UserId>();

  if (to.events > from.events) {
    const myChanges = known ? known.membershipChanges : await rooms.getMembershipChangesForUser(userId, from.events, to.events);
    const touchedRooms = new Set(myChanges.map((m) => m.roomId));
    for (const roomId of touchedRooms) {
      const members = await rooms.getRoomMembers(roomId, ['join']);
      // Joined during the window: everybody there is new to us (and their keys may be unknown).
      // Left during the window: everybody there may now be gone from our rooms.
      if (myRooms.has(roomId)) {
        for (const m of members) changed.add(m.userId);
        continue;
      }
      // Only a room we were joined to (before or during the window) can make its members "left": an invite,
      // a rejected invite or a knock never shared keys with anybody.
      const wasJoined =
        myChanges.some((m) => m.roomId === roomId && m.membership === 'join') ||
        (await rooms.getMembershipAt(roomId, userId, from.events))?.membership === 'join';
      if (wasJoined) for (const m of members) maybeLeft.add(m.userId);
    }
    const stillJoined = [...myRooms].filter((r) => !touchedRooms.has(r));
    if (stillJoined.length > 0) {
      // The woken syncs of one room all ask this for the same room and window: one read serves them.
      const readDeltas = () => rooms.getCurrentStateDeltas(stillJoined, from.events, to.events);
      const shared = stillJoined.length <= 16 ? known?.shared : undefined;
      const deltas = (
        shared !== undefined ? await shared.once(`state-deltas\u0000${from.events}\u0000${to.events}\u0000${[...stillJoined].sort().join('\u0000')}`, readDeltas) : await readDeltas()
      ).filter(
        (d) => d.type === 'm.room.member' && d.stateKey !== userId,
      );
      const eventIds = deltas.flatMap((d) => (d.eventId === null ? [] : [d.eventId]));
      const events = eventIds.length > 0 ? await rooms.getEvents(eventIds) : new Map();
      for (const d of deltas) {
        const ev = d.eventId === null ? undefined : events.get(d.eventId);
        const membership = ev?.pdu.content.membership;
        if (membership === 'join') changed.add(d.stateKey);
        else maybeLeft.add(d.stateKey);
      }
    }
  }

  if (to.deviceLists > from.deviceLists) {
    const updated = await ctx.storage.e2e.getDeviceListChanges(from.deviceLists, to.deviceLists);
    for (const other of updated) {
      if (other === userId || (await sharesRoom(ctx, other, myRooms))) changed.add(other);
    }
  }

  const left: UserId[] = [];
  for (const other of maybeLeft) {
    if (other === userId) continue;
    if (!(await sharesRoom(ctx, other, myRooms))) {
      left.push(other);
      changed.delete(other);
    }
  }
  return { changed: [...changed].sort(), left: left.sort() };
}

async function sharesRoom(ctx: E2eContext, other: UserId, myRooms: ReadonlySet<RoomId>): Promise<boolean> {
  if (myRooms.size === 0) return false;
  const theirs = await ctx.storage.rooms.getRoomsForUser(other, ['join']);
  return theirs.some((m) => myRooms.has(m.roomId));
}
