import { forbidden } from '../../errors/index.js';
import { parseServerAcl, serverAclAllows, type ServerAcl } from '../../protocol/index.js';
import type { RoomReadStore } from '../../storage/interfaces/index.js';
import type { RoomId } from '../../types/ids.js';

// The room's current m.room.server_acl applied to a remote server (server-server API, "Server Access Control
// Lists"): protected endpoints answer 403 M_FORBIDDEN, /send refuses the PDUs of a denied room one by one.
// A room we hold no state for has no ACL we could apply, so it allows everyone.

type AclStore = Pick<RoomReadStore, 'getCurrentStateEvent'>;

export async function currentServerAcl(rooms: AclStore, roomId: RoomId): Promise<ServerAcl | undefined> {
  const ev = await rooms.getCurrentStateEvent(roomId, 'm.room.server_acl', '');
  return ev === undefined ? undefined : parseServerAcl(ev.pdu.content);
}

export async function serverAllowedInRoom(rooms: AclStore, roomId: RoomId, serverName: string): Promise<boolean> {
  return serverAclAllows(await currentServerAcl(rooms, roomId), serverName);
}

export async function assertServerAllowedInRoom(rooms: AclStore, roomId: RoomId, serverName: string): Promise<void> {
  if (!(await serverAllowedInRoom(rooms, roomId, serverName))) {
    throw forbidden(`Server ${serverName} is denied by the server ACL of room ${roomId}`);
  }
}
