import { MatrixError, notFound } from '../../errors/index.js';
import type { UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { Requester } from '../../types/requester.js';
import type { SignatureRow } from '../../storage/interfaces/index.js';
import type { E2eContext } from './context.js';
import { failure } from './cross-signing.js';
import { deviceEd25519, hasValidSignature, invalidSignature, signaturesBy, signedPart } from './key-checks.js';

// POST /keys/signatures/upload. What may be signed, and with which key:
// - one of our devices, by our self-signing key;
// - our master key, by one of our devices (its ed25519 device key);
// - another user's master key, by our user-signing key.
// Each object must equal the stored key apart from its signatures; every key is judged on its own and a
// bad one is reported in `failures` without stopping the others.

export async function uploadSignatures(
  ctx: E2eContext,
  requester: Requester,
  body: Record<UserId, Record<string, JsonObject>>,
): Promise<{ failures: Record<UserId, Record<string, JsonObject>> }> {
  const me = requester.userId;
  const store = ctx.storage.e2e;
  const mine = await store.getCrossSigningKeys(me);
  const failures: Record<UserId, Record<string, JsonObject>> = {};
  const accepted: SignatureRow[] = [];

  for (const [targetUser, byKey] of Object.entries(body)) {
    for (const [targetKeyId, signed] of Object.entries(byKey)) {
      try {
        accepted.push(...(await checkOne(ctx, me, mine, targetUser, targetKeyId, signed)));
      } catch (err) {
        if (!(err instanceof MatrixError)) throw err;
        (failures[targetUser] ??= {})[targetKeyId] = failure(err);
      }
    }
  }
  if (accepted.length > 0) {
    // Our own devices or master key gained signatures: our device list changed for everyone who tracks it.
    // A signature on someone else's master key concerns only us (other users never see it).
    await ctx.recordDeviceListChange([me], (streamId) => store.addSignatures(accepted, [me], streamId));
  }
  return { failures };
}

async function checkOne(
  ctx: E2eContext,
  me: UserId,
  mine: Awaited<ReturnType<E2eContext['storage']['e2e']['getCrossSigningKeys']>>,
  targetUser: UserId,
  targetKeyId: string,
  signed: JsonObject,
): Promise<SignatureRow[]> {
  const store = ctx.storage.e2e;
  if (targetUser !== me) {
    if (!ctx.isLocal(targetUser)) throw new MatrixError('M_UNRECOGNIZED', 400, 'Signing keys of remote users is not supported yet');
    const theirMaster = (await store.getCrossSigningKeys(targetUser)).get('master');
    if (theirMaster === undefined || theirMaster.publicKey !== targetKeyId) throw notFound('Unknown master key');
    const userSigning = mine.get('user_signing');
    if (userSigning === undefined) throw new MatrixError('M_INVALID_PARAM', 400, 'You have no user-signing key');
    return signedBy(me, `ed25519:${userSigning.publicKey}`, userSigning.publicKey, theirMaster.key, signed, targetUser, targetKeyId);
  }

  const master = mine.get('master');
  if (master !== undefined && master.publicKey === targetKeyId) {
    // Our master key, signed by our own devices.
    if (signedPart(master.key) !== signedPart(signed)) throw invalidSignature('The signed object does not match the stored master key');
    const devices = await store.getDeviceKeys(me);
    const rows: SignatureRow[] = [];
    for (const [keyId, sig] of signaturesBy(signed, me)) {
      if (!keyId.startsWith('ed25519:')) continue;
      const device = devices.get(keyId.slice('ed25519:'.length));
      const deviceKey = device === undefined ? undefined : deviceEd25519(device);
      if (deviceKey === undefined) continue; // not a device signature (e.g. the key's own self-signature)
      if (!hasValidSignature(signed, me, keyId, deviceKey)) throw invalidSignature(`Invalid signature by ${keyId}`);
      rows.push({ signerUserId: me, signerKeyId: keyId, targetUserId: me, targetKeyId, signature: sig });
    }
    if (rows.length === 0) throw invalidSignature('No signature by one of your devices was found');
    return rows;
  }

  // One of our devices, signed by our self-signing key.
  const device = (await store.getDeviceKeys(me, [targetKeyId])).get(targetKeyId);
  if (device === undefined) throw notFound('Unknown device or key');
  const selfSigning = mine.get('self_signing');
  if (selfSigning === undefined) throw new MatrixError('M_INVALID_PARAM', 400, 'You have no self-signing key');
  return signedBy(me, `ed25519:${selfSigning.publicKey}`, selfSigning.publicKey, device, signed, me, targetKeyId);
}

function signedBy(
  signer: UserId,
  keyId: string,
  publicKey: string,
  stored: JsonObject,
  signed: JsonObject,
  targetUserId: UserId,
  targetKeyId: string,
): SignatureRow[] {
  if (signedPart(stored) !== signedPart(signed)) throw invalidSignature('The signed object does not match the stored key');
  const sig = signaturesBy(signed, signer).find(([k]) => k === keyId)?.[1];
  if (sig === undefined) throw invalidSignature(`No signature by ${keyId} was found`);
  if (!hasValidSignature(signed, signer, keyId, publicKey)) throw invalidSignature(`Invalid signature by ${keyId}`);
  return [{ signerUserId: signer, signerKeyId: keyId, targetUserId, targetKeyId, signature: sig }];
}
