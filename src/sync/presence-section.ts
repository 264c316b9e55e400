import type { PresenceRow, RoomReadStore } from '../storage/interfaces/index.js';
import type { RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import { eventMatches, filterExcludesAll } from './filter.js';
import type { SyncComputation } from './types.js';

// Top-level `presence`: the presence of users who share a room with the syncing user (and their own).
// Initial syncs get everyone's current presence; incremental ones only the users whose presence changed.

export function presenceEvent(row: PresenceRow, now: number): JsonObject {
  const content: JsonObject = { presence: row.state, last_active_ago: Math.max(0, now - row.lastActiveTs) };
  if (row.state === 'online') content.currently_active = row.currentlyActive;
  if (row.statusMsg !== null) content.status_msg = row.statusMsg;
  return { type: 'm.presence', sender: row.userId, content };
}

/** Whether `other` shares a joined room with the user (whose joined rooms are given). */
async function sharesRoom(store: RoomReadStore, other: UserId, joined: ReadonlySet<RoomId>): Promise<boolean> {
  const rows = await store.getRoomsForUser(other, ['join']);
  return rows.some((r) => joined.has(r.roomId));
}

export async function buildPresence(c: SyncComputation, joinedRooms: readonly RoomId[], now: number): Promise<JsonObject[]> {
  const filter = c.filter.presence;
  if (filterExcludesAll(filter)) return [];
  const me = c.requester.userId;
  let rows: PresenceRow[];
  if (c.since === null || c.fullState) {
    const users = new Set<UserId>([me]);
    // One read for all rooms (per chunk), in the rooms' order and each room's membership order as before.
    for (const members of (await c.rooms.getRoomMembersOfRooms(joinedRooms, ['join'])).values()) for (const m of members) users.add(m.userId);
    rows = (await c.userData.getPresence([...users])).filter((r) => r.streamId <= c.to.presence);
  } else {
    if (c.since.presence >= c.to.presence) return [];
    const changes = await c.userData.getPresenceChanges(c.since.presence, c.to.presence);
    const joined = new Set(joinedRooms);
    rows = [];
    for (const r of changes) if (r.userId === me || (await sharesRoom(c.rooms, r.userId, joined))) rows.push(r);
  }
  const out = rows.map((r) => presenceEvent(r, now)).filter((e) => eventMatches(filter, { type: 'm.presence', sender: String(e.sender) }));
  return filter?.limit !== undefined ? out.slice(0, filter.limit) : out;
}
