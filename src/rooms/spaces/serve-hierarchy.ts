import { MatrixError } from '../../errors/index.js';
import { serverNameOf } from '../../protocol/index.js';
import type { RoomStore } from '../../storage/interfaces/index.js';
import type { RoomId } from '../../types/ids.js';
import { summarizeRoom, type RoomSummary } from './room-summary.js';
import { listedChildren, spaceChildren, type HierarchyRoom } from './space-children.js';

// The federation GET /hierarchy/{roomId}: the space and the summaries of its children for another server,
// which filters them for its own user. Not paginated. A room is visible to a server when it is
// world-readable, publicly joinable or knockable, when one of the server's users is joined or invited, or
// when a restricted rule names a room the server has a joined user in (it could then authorise a join).

export interface FederationHierarchy {
  room: HierarchyRoom;
  children: HierarchyRoom[];
  inaccessible_children: string[];
}

// A space with thousands of children is answered with the first ones only, in the spec's order.
const MAX_CHILDREN = 200;

async function serverHasMember(store: RoomStore, roomId: string, server: string, memberships: Array<'join' | 'invite'>): Promise<boolean> {
  const members = await store.getRoomMembers(roomId as RoomId, memberships);
  return members.some((m) => serverNameOf(m.userId) === server);
}

async function visibleToServer(store: RoomStore, summary: RoomSummary, openToAll: boolean, origin: string): Promise<boolean> {
  if (openToAll) return true;
  if (await serverHasMember(store, summary.room_id, origin, ['join', 'invite'])) return true;
  if (summary.join_rule !== 'restricted' && summary.join_rule !== 'knock_restricted') return false;
  for (const allowed of summary.allowed_room_ids ?? []) {
    if (await serverHasMember(store, allowed, origin, ['join'])) return true;
  }
  return false;
}

export async function serveFederationHierarchy(store: RoomStore, origin: string, roomId: RoomId, suggestedOnly: boolean): Promise<FederationHierarchy> {
  // With no requester, `accessible` is exactly "open to anyone": world-readable, public or knockable.
  const root = await summarizeRoom(store, roomId, null);
  if (root === undefined || !(await visibleToServer(store, root.summary, root.accessible, origin))) {
    throw new MatrixError('M_NOT_FOUND', 404, 'Room does not exist.');
  }
  const listed = listedChildren(await spaceChildren(store, roomId), suggestedOnly);
  const children: HierarchyRoom[] = [];
  const inaccessible: string[] = [];
  for (const child of listed.slice(0, MAX_CHILDREN)) {
    if (child.state_key === roomId) continue;
    const found = await summarizeRoom(store, child.state_key as RoomId, null);
    // Rooms we cannot describe are left out; the asking server may learn of them elsewhere.
    if (found === undefined) continue;
    if (await visibleToServer(store, found.summary, found.accessible, origin)) {
      children.push({ ...found.summary, children_state: listedChildren(await spaceChildren(store, child.state_key as RoomId), suggestedOnly) });
    } else {
      inaccessible.push(child.state_key);
    }
  }
  return { room: { ...root.summary, children_state: listed }, children, inaccessible_children: inaccessible };
}
