import { MatrixError } from '../errors/index.js';
import type { UserId } from '../types/ids.js';
import type { RoomServiceDeps } from './deps.js';

// Invite permission (spec v1.18 "Invite permission"): a local user whose m.invite_permission_config account
// data says `default_action: block` gets no invites; inviting them answers 403 M_INVITE_BLOCKED. Remote users'
// preferences are their own server's to enforce.

function isLocal(deps: RoomServiceDeps, userId: string): boolean {
  return userId.endsWith(`:${deps.config.serverName}`);
}

export async function invitesBlocked(deps: RoomServiceDeps, userId: UserId): Promise<boolean> {
  if (!isLocal(deps, userId)) return false;
  const row = await deps.storage.userData.getAccountData(userId, '', 'm.invite_permission_config');
  return row?.content.default_action === 'block';
}

export async function assertInviteAllowed(deps: RoomServiceDeps, userId: UserId): Promise<void> {
  if (await invitesBlocked(deps, userId)) throw new MatrixError('M_INVITE_BLOCKED', 403, 'This user has blocked invites.');
}
