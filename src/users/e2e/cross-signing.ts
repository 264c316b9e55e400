import { MatrixError, forbidden, missingParam } from '../../errors/index.js';
import type { JsonObject } from '../../types/json.js';
import type { Requester } from '../../types/requester.js';
import type { CrossSigningKeyType, StoredCrossSigningKey } from '../../storage/interfaces/index.js';
import type { E2eContext } from './context.js';
import { crossSigningPublicKey, hasValidSignature, invalidSignature, signedPart } from './key-checks.js';

// POST /keys/device_signing/upload: a user's master, self-signing and user-signing keys.

export interface CrossSigningUploadBody {
  master_key?: JsonObject;
  self_signing_key?: JsonObject;
  user_signing_key?: JsonObject;
}

const FIELDS: ReadonlyArray<[keyof CrossSigningUploadBody, CrossSigningKeyType]> = [
  ['master_key', 'master'],
  ['self_signing_key', 'self_signing'],
  ['user_signing_key', 'user_signing'],
];

/**
 * Whether the upload must pass user-interactive auth (v1.11): not for the first master key, not when
 * every key in the request equals the stored one (a retried upload), and never for appservices (v1.17).
 */
export async function crossSigningUploadNeedsAuth(ctx: E2eContext, requester: Requester, body: CrossSigningUploadBody): Promise<boolean> {
  if (requester.appserviceId !== null) return false;
  const stored = await ctx.storage.e2e.getCrossSigningKeys(requester.userId);
  if (!stored.has('master')) return false;
  for (const [field, type] of FIELDS) {
    const incoming = body[field];
    if (incoming === undefined) continue;
    const current = stored.get(type);
    if (current === undefined || signedPart(current.key) !== signedPart(incoming) || sigsOf(current.key) !== sigsOf(incoming)) return true;
  }
  return false;
}

function sigsOf(obj: JsonObject): string {
  return JSON.stringify(obj.signatures ?? null);
}

export async function uploadCrossSigningKeys(ctx: E2eContext, requester: Requester, body: CrossSigningUploadBody): Promise<void> {
  const userId = requester.userId;
  const store = ctx.storage.e2e;
  const stored = await store.getCrossSigningKeys(userId);
  const toStore: StoredCrossSigningKey[] = [];
  for (const [field, type] of FIELDS) {
    const key = body[field];
    if (key === undefined) continue;
    toStore.push({ keyType: type, publicKey: crossSigningPublicKey(key, userId, type, field), key });
  }
  if (toStore.length === 0) return;

  const master = toStore.find((k) => k.keyType === 'master') ?? stored.get('master');
  for (const k of toStore) {
    if (k.keyType === 'master') continue;
    if (master === undefined) throw missingParam('No master signing key is available to check the other keys against');
    if (!hasValidSignature(k.key, userId, `ed25519:${master.publicKey}`, master.publicKey)) {
      throw invalidSignature(`The ${k.keyType} key is not signed by the master key`);
    }
  }

  // A key whose public key equals a device id would make signature key ids ambiguous.
  const devices = new Set((await ctx.storage.accounts.listDevices(userId)).map((d) => d.deviceId));
  for (const k of toStore) if (devices.has(k.publicKey)) throw forbidden('Key ID in use');

  const changed = toStore.filter((k) => {
    const current = stored.get(k.keyType);
    return current === undefined || JSON.stringify(current.key) !== JSON.stringify(k.key);
  });
  if (changed.length === 0) return;
  await ctx.recordDeviceListChange([userId], (streamId) => store.setCrossSigningKeys(userId, changed, streamId, ctx.now()), {
    crossSigning: true,
  });
}

/** The failure entry /keys/signatures/upload reports for one key. */
export function failure(err: MatrixError): JsonObject {
  return { errcode: err.errcode, error: err.message, status: err.status };
}
