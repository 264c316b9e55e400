import { forbidden, notFound } from '../../errors/index.js';
import { findRoomVersion, serverNameOf, type RoomVersion } from '../../protocol/index.js';
import type { Storage } from '../../storage/interfaces/index.js';
import type { RoomId } from '../../types/ids.js';

// Which rooms a remote server may read through us: it must have (or have had) a member in the room, unless
// the room is world_readable. This is the server-level history visibility check of /event, /state,
// /state_ids, /event_auth and /backfill.

export async function roomVersionOf(storage: Storage, roomId: RoomId): Promise<RoomVersion> {
  const room = await storage.rooms.getRoom(roomId);
  if (room === undefined) throw notFound(`Room ${roomId} is not known to this server`);
  const version = findRoomVersion(room.roomVersion);
  if (version === undefined) throw notFound(`Room ${roomId} has an unsupported version`);
  return version;
}

/**
 * Servers with joined members in the room (where its events go). While a room has partial state we do not
 * know its members: the resident's servers_in_room of the join stand in for them.
 */
export async function joinedServers(storage: Storage, roomId: RoomId): Promise<Set<string>> {
  const out = new Set<string>((await storage.rooms.getPartialStateRoom(roomId))?.servers ?? []);
  for (const s of await storage.rooms.getJoinedServers(roomId)) out.add(s);
  return out;
}

export async function assertServerMayRead(storage: Storage, roomId: RoomId, origin: string): Promise<void> {
  await roomVersionOf(storage, roomId);
  const members = await storage.rooms.getRoomMembers(roomId);
  if (members.some((m) => serverNameOf(m.userId) === origin)) return;
  const hv = await storage.rooms.getCurrentStateEvent(roomId, 'm.room.history_visibility', '');
  if (hv?.pdu.content.history_visibility === 'world_readable') return;
  throw forbidden(`Server ${origin} is not in room ${roomId}`);
}
