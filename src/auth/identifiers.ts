import { badJson, missingParam } from '../errors/index.js';
import type { AccountStore, UserRecord } from '../storage/interfaces/index.js';

// Resolving the `identifier` of a login or m.login.password auth dict to a local account.

/**
 * The user an auth dict names: `identifier: {type: 'm.id.user', user}` or the deprecated top-level `user`.
 * Third-party identifiers resolve to nothing (this server stores no 3PIDs), which callers report as a failed login.
 */
export function namedUser(auth: Record<string, unknown>): string | null {
  const id = auth.identifier;
  if (id !== undefined) {
    if (typeof id !== 'object' || id === null || Array.isArray(id)) throw badJson('identifier must be an object');
    const ident = id as Record<string, unknown>;
    if (ident.type === 'm.id.user') {
      if (typeof ident.user !== 'string') throw badJson('identifier.user must be a string');
      return ident.user;
    }
    if (ident.type === 'm.id.thirdparty' || ident.type === 'm.id.phone') return null;
    throw badJson('Unknown login identifier type');
  }
  if (auth.user !== undefined) {
    if (typeof auth.user !== 'string') throw badJson('user must be a string');
    return auth.user;
  }
  throw missingParam('Missing identifier');
}

/** `@alice:hs` or `alice` -> the account, matching case-insensitively when there is exactly one such account. */
export async function findLocalUser(store: AccountStore, serverName: string, given: string): Promise<UserRecord | null> {
  const userId = given.startsWith('@') ? given : `@${given}:${serverName}`;
  if (!userId.endsWith(`:${serverName}`)) return null;
  const exact = await store.getUser(userId);
  if (exact) return exact;
  const matches = await store.findUsersCaseInsensitive(userId);
  return matches.length === 1 ? (matches[0] ?? null) : null;
}
