import { canonicalJson, verifyJsonSignature } from '../../crypto/index.js';
import { MatrixError, invalidParam } from '../../errors/index.js';
import type { JsonObject, JsonValue } from '../../types/json.js';

// Checks on client-uploaded key objects. Pure: they look only at the objects they are given.

export const invalidSignature = (msg: string) => new MatrixError('M_INVALID_SIGNATURE', 400, msg);

export function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object as signed: without `signatures` and `unsigned`, in canonical form, for equality checks. */
export function signedPart(obj: JsonObject): string {
  const { signatures: _s, unsigned: _u, ...rest } = obj;
  return canonicalJson(rest);
}

/** Verifies `userId`'s signature with `keyId` (`ed25519:<id>`) on `obj` against an ed25519 public key. */
export function hasValidSignature(obj: JsonObject, userId: string, keyId: string, publicKey: string): boolean {
  // Client objects are canonical JSON without floats in practice; non-strict keeps an odd field from
  // turning into a server error rather than a signature failure.
  return verifyJsonSignature(obj, userId, keyId, publicKey, { strict: false });
}

/** The device's own ed25519 key from its device_keys object, if present. */
export function deviceEd25519(deviceKeys: JsonObject): string | undefined {
  const keys = deviceKeys.keys;
  const deviceId = deviceKeys.device_id;
  if (!isObject(keys) || typeof deviceId !== 'string') return undefined;
  const k = keys[`ed25519:${deviceId}`];
  return typeof k === 'string' ? k : undefined;
}

/**
 * Checks a device_keys object from /keys/upload: it must describe the requester's own device and be
 * self-signed with the device's ed25519 key (the key other devices will pin).
 */
export function checkDeviceKeys(obj: JsonObject, userId: string, deviceId: string): void {
  if (obj.user_id !== userId) throw invalidParam('device_keys.user_id does not match the user of the access token');
  if (obj.device_id !== deviceId) throw invalidParam('device_keys.device_id does not match the device of the access token');
  if (!Array.isArray(obj.algorithms) || !obj.algorithms.every((a) => typeof a === 'string')) {
    throw invalidParam('device_keys.algorithms must be a list of strings');
  }
  const keys = obj.keys;
  if (!isObject(keys) || !Object.values(keys).every((v) => typeof v === 'string')) {
    throw invalidParam('device_keys.keys must map key ids to strings');
  }
  const ed = deviceEd25519(obj);
  if (ed === undefined) throw invalidParam(`device_keys.keys must hold ed25519:${deviceId}`);
  if (!hasValidSignature(obj, userId, `ed25519:${deviceId}`, ed)) {
    throw invalidSignature('device_keys is not signed with the device\'s ed25519 key');
  }
}

/** The identity keys of a device (the `keys` map), compared to refuse a silent identity change. */
export function identityKeysOf(obj: JsonObject): string {
  return canonicalJson(isObject(obj.keys) ? obj.keys : {});
}

/**
 * Parses a one_time_keys / fallback_keys map (`<algorithm>:<key_id>` -> key) into rows.
 */
export function parseKeyMap(map: JsonObject, field: string): Array<{ algorithm: string; keyId: string; key: JsonObject | string }> {
  const out: Array<{ algorithm: string; keyId: string; key: JsonObject | string }> = [];
  for (const [id, key] of Object.entries(map)) {
    const colon = id.indexOf(':');
    if (colon <= 0 || colon === id.length - 1) throw invalidParam(`${field}: key id '${id}' is not <algorithm>:<key_id>`);
    if (typeof key !== 'string' && !isObject(key)) throw invalidParam(`${field}.${id} must be a string or a key object`);
    out.push({ algorithm: id.slice(0, colon), keyId: id.slice(colon + 1), key });
  }
  return out;
}

export type CrossSigningUsage = 'master' | 'self_signing' | 'user_signing';

/**
 * Checks a cross-signing key object and returns its public key: it must belong to `userId`, name `usage`,
 * and hold exactly one `ed25519:<public key>` entry whose value is that public key.
 */
export function crossSigningPublicKey(obj: JsonObject, userId: string, usage: CrossSigningUsage, field: string): string {
  if (obj.user_id !== userId) throw invalidParam(`${field}.user_id must be ${userId}`);
  if (!Array.isArray(obj.usage) || !obj.usage.includes(usage)) throw invalidParam(`${field}.usage must include ${usage}`);
  const keys = obj.keys;
  if (!isObject(keys)) throw invalidParam(`${field}.keys must be an object`);
  const entries = Object.entries(keys);
  const first = entries[0];
  if (entries.length !== 1 || first === undefined) throw invalidParam(`${field}.keys must hold exactly one key`);
  const [keyId, value] = first;
  if (!keyId.startsWith('ed25519:') || typeof value !== 'string' || keyId.slice('ed25519:'.length) !== value) {
    throw invalidParam(`${field}.keys must map ed25519:<public key> to the same public key`);
  }
  return value;
}

/** The signatures `signer` made on `obj`, as (key id, signature) pairs. */
export function signaturesBy(obj: JsonObject, signer: string): Array<[string, string]> {
  const sigs = obj.signatures;
  if (!isObject(sigs)) return [];
  const mine = sigs[signer];
  if (!isObject(mine)) return [];
  return Object.entries(mine).filter((e): e is [string, string] => typeof e[1] === 'string');
}
