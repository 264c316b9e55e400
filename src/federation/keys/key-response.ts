import { verifyJsonSignature } from '../../crypto/index.js';
import { parseKeyId } from '../../protocol/index.js';
import type { StoredServerKey } from '../../storage/interfaces/index.js';

// Checking a server key document (GET /_matrix/key/v2/server, or one entry of a notary's answer) before
// we believe any key in it: it must name the server we asked about, and be signed by that server with one
// of the keys it lists as current. Without the self-signature anyone on the path could substitute keys.

/** "Servers MUST use the lesser of valid_until_ts and 7 days into the future" (keys.yaml). */
export const KEY_VALIDITY_CAP_MS = 7 * 24 * 60 * 60 * 1000;

export interface CheckedKeyResponse {
  serverName: string;
  validUntilTs: number;
  keys: StoredServerKey[];
  /** Key ids listed under verify_keys (current keys). */
  currentKeyIds: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class KeyResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyResponseError';
  }
}

/**
 * Validates a key document for `expectedServer` and returns the keys in it, stamped as fetched from
 * `fetchedFrom` at `fetchedAt`. Throws KeyResponseError with the reason when it must not be trusted.
 */
export function checkKeyResponse(json: unknown, expectedServer: string, fetchedFrom: string, fetchedAt: number): CheckedKeyResponse {
  if (!isObject(json)) throw new KeyResponseError('key response is not a JSON object');
  if (json.server_name !== expectedServer) {
    throw new KeyResponseError(`key response is for ${String(json.server_name)}, not ${expectedServer}`);
  }
  const validUntil = json.valid_until_ts;
  if (typeof validUntil !== 'number' || !Number.isSafeInteger(validUntil)) throw new KeyResponseError('valid_until_ts is missing or not an integer');
  if (!isObject(json.verify_keys)) throw new KeyResponseError('verify_keys is missing');
  const keys: StoredServerKey[] = [];
  const current = new Map<string, string>();
  for (const [keyId, entry] of Object.entries(json.verify_keys)) {
    if (!parseKeyId(keyId) || !isObject(entry) || typeof entry.key !== 'string') {
      throw new KeyResponseError(`verify_keys.${keyId} is malformed`);
    }
    current.set(keyId, entry.key);
    keys.push({ serverName: expectedServer, keyId, verifyKey: entry.key, validUntilTs: validUntil, expiredTs: null, fetchedFrom, fetchedAt });
  }
  const old = json.old_verify_keys;
  if (old !== undefined) {
    if (!isObject(old)) throw new KeyResponseError('old_verify_keys is not an object');
    for (const [keyId, entry] of Object.entries(old)) {
      if (!parseKeyId(keyId) || !isObject(entry) || typeof entry.key !== 'string') throw new KeyResponseError(`old_verify_keys.${keyId} is malformed`);
      const expired = entry.expired_ts;
      if (typeof expired !== 'number' || !Number.isSafeInteger(expired)) throw new KeyResponseError(`old_verify_keys.${keyId}.expired_ts is not an integer`);
      // A key listed as both current and old is current.
      if (current.has(keyId)) continue;
      keys.push({ serverName: expectedServer, keyId, verifyKey: entry.key, validUntilTs: expired, expiredTs: expired, fetchedFrom, fetchedAt });
    }
  }
  const sigs = isObject(json.signatures) ? json.signatures[expectedServer] : undefined;
  if (!isObject(sigs)) throw new KeyResponseError(`key response is not signed by ${expectedServer}`);
  // One valid self-signature with a listed current key is enough (a notary's own key may sign too,
  // under another name); a signature by a listed key that does not verify condemns the document.
  let verified = false;
  for (const keyId of Object.keys(sigs)) {
    const publicKey = current.get(keyId);
    if (publicKey === undefined) continue;
    if (!verifyJsonSignature(json, expectedServer, keyId, publicKey)) {
      throw new KeyResponseError(`signature ${keyId} of ${expectedServer} does not verify`);
    }
    verified = true;
  }
  if (!verified) throw new KeyResponseError(`key response carries no signature by any key ${expectedServer} lists`);
  return { serverName: expectedServer, validUntilTs: validUntil, keys, currentKeyIds: [...current.keys()] };
}

/** When a cached key stops being usable: its expiry for old keys, else valid_until_ts capped at fetch + 7 days. */
export function effectiveValidUntil(key: StoredServerKey): number {
  if (key.expiredTs !== null) return key.expiredTs;
  return Math.min(key.validUntilTs, key.fetchedAt + KEY_VALIDITY_CAP_MS);
}
