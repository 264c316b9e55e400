import { MatrixError } from '../errors/index.js';
import { byteLength, isValidUserLocalpart, MAX_ID_BYTES } from '../protocol/index.js';

// Which localparts a client may register, with Synapse's checks and messages (clients show them to users).

export function invalidUsername(msg: string): MatrixError {
  return new MatrixError('M_INVALID_USERNAME', 400, msg);
}

/** Throws M_INVALID_USERNAME unless `localpart` may be registered on `serverName`. */
export function checkLocalpart(localpart: string, serverName: string, opts: { allowNumeric?: boolean; allowUnderscore?: boolean } = {}): void {
  if (localpart === '') throw invalidUsername('User ID cannot be empty');
  if (!isValidUserLocalpart(localpart)) {
    throw invalidUsername("User ID can only contain characters a-z, 0-9, or '=_-./+'");
  }
  if (!opts.allowUnderscore && localpart.startsWith('_')) throw invalidUsername('User ID may not begin with _');
  // Synapse hands out numeric ids to guests and to registrations without a username.
  if (!opts.allowNumeric && /^[0-9]+$/.test(localpart)) throw invalidUsername('Numeric user IDs are reserved for guest users.');
  if (byteLength(`@${localpart}:${serverName}`) > MAX_ID_BYTES) {
    throw invalidUsername(`User ID may not be longer than ${MAX_ID_BYTES} characters`);
  }
}

export function userInUse(): MatrixError {
  return new MatrixError('M_USER_IN_USE', 400, 'User ID already taken.');
}
