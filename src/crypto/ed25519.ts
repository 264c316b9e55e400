import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64.js';

// ed25519 through node:crypto (OpenSSL). Keys are held as KeyObjects built once from raw bytes, because
// building a KeyObject costs more than a verification.

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface SigningKey {
  /** `ed25519:<version>` */
  keyId: string;
  /** The 32-byte seed, as stored in the key file. */
  seed: Buffer;
  privateKey: KeyObject;
  /** Raw 32-byte public key. */
  publicKey: Buffer;
  /** Unpadded base64 of the public key, as published in server key documents. */
  publicKeyBase64: string;
}

export function signingKeyFromSeed(keyId: string, seed: Uint8Array): SigningKey {
  if (seed.length !== 32) throw new Error(`ed25519 seed must be 32 bytes, got ${seed.length}`);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = Buffer.from(spki.subarray(spki.length - 32));
  return { keyId, seed: Buffer.from(seed), privateKey, publicKey, publicKeyBase64: encodeBase64(publicKey) };
}

/** A fresh key with a random version: `ed25519:a_XXXX` like Synapse generates. */
export function generateSigningKey(version?: string): SigningKey {
  const v = version ?? 'a_' + randomBytes(3).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 4);
  return signingKeyFromSeed(`ed25519:${v}`, randomBytes(32));
}

export function signBytes(key: SigningKey, data: Uint8Array): Buffer {
  return sign(null, data, key.privateKey);
}

const publicKeyCache = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE_MAX = 10_000;

/** Turns an unpadded base64 public key into a KeyObject, caching the result (bounded). */
export function publicKeyFromBase64(b64: string): KeyObject {
  let key = publicKeyCache.get(b64);
  if (!key) {
    const raw = decodeBase64(b64);
    if (raw.length !== 32) throw new Error('ed25519 public key must be 32 bytes');
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    if (publicKeyCache.size >= PUBLIC_KEY_CACHE_MAX) publicKeyCache.clear();
    publicKeyCache.set(b64, key);
  }
  return key;
}

/** Verifies an ed25519 signature. Returns false (never throws) for malformed keys or signatures. */
export function verifyBytes(publicKeyBase64: string, data: Uint8Array, signatureBase64: string): boolean {
  try {
    const sig = decodeBase64(signatureBase64);
    if (sig.length !== 64) return false;
    return verify(null, data, publicKeyFromBase64(publicKeyBase64), sig);
  } catch {
    return false;
  }
}
