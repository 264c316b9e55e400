import { forbidden, MatrixError } from '../errors/index.js';
import { powerLevelsView, serverNameOf } from '../protocol/index.js';
import type { UserId } from '../types/ids.js';
import type { RoomServiceDeps } from './deps.js';
import type { RoomDraft } from './room-draft.js';

// Restricted joins (v8+ `restricted`, v10+ `knock_restricted`): a user who is joined to one of the rooms the
// join rules allow may join without an invite; the join names a local member who could have invited them
// (join_authorised_via_users_server), and our signature on the event stands for theirs. For a remote joiner
// (make_join / send_join) we can only vouch for memberships of rooms we are in ourselves: when we are in
// none of the allowed rooms, M_UNABLE_TO_AUTHORISE_JOIN tells the joining server to ask another one
// (server-server API, "Restricted rooms").

function allowedRoomIds(allow: unknown): Set<string> {
  const out = new Set<string>();
  if (!Array.isArray(allow)) return out;
  for (const entry of allow) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) continue;
    const e = entry as Record<string, unknown>;
    if (e.type === 'm.room_membership' && typeof e.room_id === 'string') out.add(e.room_id);
  }
  return out;
}

/**
 * The authorising user for `userId`'s join, or undefined when the join rule is not restricted (or the user
 * needs no authorisation because they are invited or joined already).
 */
export async function restrictedJoinAuthoriser(deps: RoomServiceDeps, draft: RoomDraft, userId: UserId): Promise<UserId | undefined> {
  const { version } = draft;
  const joinRules = await draft.stateContent('m.room.join_rules');
  const rule = joinRules?.join_rule;
  const restricted = (rule === 'restricted' && version.restrictedJoins) || (rule === 'knock_restricted' && version.knockRestricted);
  if (!restricted || joinRules === undefined) return undefined;
  const current = await draft.membership(userId);
  if (current === 'join' || current === 'invite') return undefined;

  const allowed = allowedRoomIds(joinRules.allow);
  const mine = await deps.storage.rooms.getRoomsForUser(userId, ['join']);
  if (!mine.some((r) => allowed.has(r.roomId))) {
    if (serverNameOf(userId) !== deps.config.serverName && !(await residentInAny(deps, allowed))) {
      throw new MatrixError('M_UNABLE_TO_AUTHORISE_JOIN', 400, 'This server is in none of the rooms that grant access to this room');
    }
    throw forbidden('You do not belong to any of the required rooms/spaces to join this room.');
  }

  const pl = powerLevelsView(version, await draft.stateEvent('m.room.power_levels'), await draft.stateEvent('m.room.create'));
  const members = await deps.storage.rooms.getRoomMembers(draft.roomId, ['join']);
  let best: { userId: UserId; level: number } | undefined;
  for (const m of members) {
    if (serverNameOf(m.userId) !== deps.config.serverName) continue;
    const level = pl.userLevel(m.userId);
    if (level < pl.invite) continue;
    if (best === undefined || level > best.level) best = { userId: m.userId, level };
  }
  if (best === undefined) {
    // The joiner qualifies, but nobody here could have invited them: another resident server may (spec errcode).
    throw new MatrixError('M_UNABLE_TO_GRANT_JOIN', 400, 'No local user in the room can issue the invite this join needs');
  }
  return best.userId;
}

/** Whether a local user is joined to one of `roomIds`, i.e. we hold its current membership. */
async function residentInAny(deps: RoomServiceDeps, roomIds: ReadonlySet<string>): Promise<boolean> {
  for (const roomId of roomIds) {
    const members = await deps.storage.rooms.getRoomMembers(roomId, ['join']);
    if (members.some((m) => serverNameOf(m.userId) === deps.config.serverName)) return true;
  }
  return false;
}
