import type { UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { RoomServiceDeps } from './deps.js';
import { profileFields } from './member-content.js';
import type { RoomWriter } from './room-writer.js';

// Operations over every room of one user, called by users/ through the ports main.ts wires: profile changes
// and account deactivation. One room at a time (never two room locks at once); a failure in one room is
// logged and does not stop the others.

export async function propagateProfile(deps: RoomServiceDeps, writer: RoomWriter, userId: UserId): Promise<void> {
  const rooms = await deps.storage.rooms.getRoomsForUser(userId, ['join']);
  const profile = await profileFields(deps, userId);
  for (const { roomId } of rooms) {
    try {
      await writer.withRoom(roomId, async (draft) => {
        const current = await draft.stateEvent('m.room.member', userId);
        if (current?.pdu.content.membership !== 'join') return;
        // Keep the rest of the member content (e.g. reason-less join fields); replace only the profile keys.
        const content: JsonObject = { ...current.pdu.content };
        delete content.displayname;
        delete content.avatar_url;
        delete content.reason;
        delete content.join_authorised_via_users_server;
        Object.assign(content, profile);
        if (content.displayname === current.pdu.content.displayname && content.avatar_url === current.pdu.content.avatar_url) return;
        await draft.append({ type: 'm.room.member', sender: userId, stateKey: userId, content });
      });
    } catch (err) {
      deps.logger.warn({ err, userId, roomId }, 'could not update the member event with the new profile');
    }
  }
}

export async function leaveAllRooms(deps: RoomServiceDeps, writer: RoomWriter, userId: UserId): Promise<void> {
  const rooms = await deps.storage.rooms.getRoomsForUser(userId, ['join', 'invite', 'knock']);
  for (const { roomId } of rooms) {
    try {
      await writer.withRoom(roomId, async (draft) => {
        const m = await draft.membership(userId);
        if (m !== 'join' && m !== 'invite' && m !== 'knock') return;
        await draft.append({ type: 'm.room.member', sender: userId, stateKey: userId, content: { membership: 'leave' } });
      });
    } catch (err) {
      deps.logger.warn({ err, userId, roomId }, 'could not leave the room');
    }
  }
}
