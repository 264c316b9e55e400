import type { SyncComputation } from './types.js';

// m.ignored_user_list (spec "Ignoring Users"): events and invites from ignored users are left out of the
// user's /sync. State events stay (the room's state must stay coherent, as Synapse keeps them too).

const perComputation = new WeakMap<SyncComputation, Promise<ReadonlySet<string>>>();

/** Read once per sync computation (through the service's cache when it has one). */
export function ignoredUserIds(c: SyncComputation): Promise<ReadonlySet<string>> {
  let p = perComputation.get(c);
  if (!p) {
    p =
      c.ignoredUsers !== undefined
        ? c.ignoredUsers.get(c.requester.userId)
        : c.userData.getAccountData(c.requester.userId, '', 'm.ignored_user_list').then((row) => {
            const list = row?.content.ignored_users;
            return new Set(typeof list === 'object' && list !== null && !Array.isArray(list) ? Object.keys(list) : []);
          });
    perComputation.set(c, p);
  }
  return p;
}

const blockedPerComputation = new WeakMap<SyncComputation, Promise<boolean>>();

/** m.invite_permission_config `default_action: block` (v1.18): the user's pending invites are not served. */
export function invitesBlocked(c: SyncComputation): Promise<boolean> {
  let p = blockedPerComputation.get(c);
  if (!p) {
    p = c.userData
      .getAccountData(c.requester.userId, '', 'm.invite_permission_config')
      .then((row) => row?.content.default_action === 'block');
    blockedPerComputation.set(c, p);
  }
  return p;
}
