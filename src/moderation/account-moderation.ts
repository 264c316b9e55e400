import { forbidden, invalidParam, notFound } from '../errors/index.js';
import type { Storage } from '../storage/interfaces/index.js';
import type { UserId } from '../types/ids.js';

// The spec's account moderation endpoints (v1.18 GET/PUT /_matrix/client/v1/admin/{suspend,lock}/{userId}):
// admins only, checked before any lookup so the endpoints cannot enumerate users; local, existing, active,
// non-admin targets; never oneself. A lock also drops the target's cached tokens so it bites at once.

export type AccountFlag = 'suspended' | 'locked';

export interface AccountModerationDeps {
  storage: Storage;
  serverName: string;
  /** Drops cached access tokens of a user (the auth service's cache holds the locked and suspended flags). */
  forgetCachedTokens(userId: UserId): void;
}

async function checkTarget(deps: AccountModerationDeps, admin: UserId, target: string, changing: boolean) {
  const requester = await deps.storage.accounts.getUser(admin);
  if (!requester?.admin) throw forbidden('Requesting user is not a server administrator.');
  if (!target.startsWith('@') || !target.endsWith(`:${deps.serverName}`)) throw invalidParam('User does not belong to the local server.');
  const user = await deps.storage.accounts.getUser(target as UserId);
  if (!user || user.deactivated) throw notFound('User not found.');
  if (changing && user.userId === admin) throw forbidden('You cannot change your own account status.');
  if (user.admin && user.userId !== admin) throw forbidden('The target user is a server administrator.');
  return user;
}

export async function getAccountFlag(deps: AccountModerationDeps, admin: UserId, target: string, flag: AccountFlag): Promise<boolean> {
  const user = await checkTarget(deps, admin, target, false);
  return user[flag];
}

export async function setAccountFlag(deps: AccountModerationDeps, admin: UserId, target: string, flag: AccountFlag, value: boolean): Promise<boolean> {
  const user = await checkTarget(deps, admin, target, true);
  await deps.storage.directory.setAccountFlag(user.userId, flag, value);
  deps.forgetCachedTokens(user.userId);
  return value;
}
