import { canonicalJsonBytes } from './canonical-json.js';
import { signBytes, verifyBytes, type SigningKey } from './ed25519.js';
import { encodeBase64 } from './base64.js';
import type { Signatures } from '../types/pdu.js';

// Signing JSON (appendices: "Signing JSON"): the signature covers the canonical JSON of the object without
// its `signatures` and `unsigned` keys; existing signatures are kept and ours is added beside them.

function withoutSignaturesAndUnsigned(obj: Record<string, unknown>): Record<string, unknown> {
  const { signatures: _s, unsigned: _u, ...rest } = obj;
  return rest;
}

/**
 * Returns a copy of `obj` carrying our signature as well as any it had. `strict` canonical JSON is used
 * unless told otherwise: events of room versions 1-5 may legitimately hold floats or large integers.
 */
export function signJson<T extends Record<string, unknown>>(
  obj: T,
  serverName: string,
  key: SigningKey,
  opts: { strict?: boolean } = {},
): T {
  return withSignature(obj, serverName, key.keyId, signBytes(key, canonicalJsonBytes(withoutSignaturesAndUnsigned(obj), opts)));
}

/** A copy of `obj` carrying `signature` (made by the caller over the right bytes) beside any signatures it had. */
export function withSignature<T extends Record<string, unknown>>(obj: T, serverName: string, keyId: string, signature: Uint8Array): T {
  const existing = (obj.signatures as Signatures | undefined) ?? {};
  const signatures: Signatures = { ...existing, [serverName]: { ...(existing[serverName] ?? {}), [keyId]: encodeBase64(signature) } };
  const out: Record<string, unknown> = { ...obj, signatures };
  return out as T;
}

/**
 * Verifies the signature of `serverName` with `keyId` on `obj` against a public key (unpadded base64).
 * `strict` canonical JSON is used unless told otherwise (old rooms may hold floats).
 */
export function verifyJsonSignature(
  obj: Record<string, unknown>,
  serverName: string,
  keyId: string,
  publicKeyBase64: string,
  opts: { strict?: boolean } = {},
): boolean {
  const sig = (obj.signatures as Signatures | undefined)?.[serverName]?.[keyId];
  if (typeof sig !== 'string') return false;
  let bytes: Buffer;
  try {
    bytes = canonicalJsonBytes(withoutSignaturesAndUnsigned(obj), opts);
  } catch {
    return false;
  }
  return verifyBytes(publicKeyBase64, bytes, sig);
}
