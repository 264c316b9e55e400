import { verifyJsonSignature } from '../../crypto/index.js';
import type { AuthContext } from './auth-context.js';
import { thirdPartyInviteKey } from './auth-state-keys.js';
import { ALLOW, deny, type AuthResult } from './result.js';

// The invite-with-third_party_invite branch of the m.room.member rules. The `signed` object was produced
// by the identity server that stored the invite; the m.room.third_party_invite event in the room carries
// that server's public keys, so the room's own state is enough to prove the binding.

function asObject(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Every public key the m.room.third_party_invite content offers: `public_key` and `public_keys[].public_key`. */
export function thirdPartyInvitePublicKeys(content: Record<string, unknown>): string[] {
  const keys: string[] = [];
  if (typeof content.public_key === 'string') keys.push(content.public_key);
  if (Array.isArray(content.public_keys)) {
    for (const entry of content.public_keys) {
      const k = asObject(entry)?.public_key;
      if (typeof k === 'string') keys.push(k);
    }
  }
  return keys;
}

/** Whether any ed25519 signature in `signed` verifies against any of `publicKeys`. */
export function verifySignedThirdPartyInvite(
  signed: Record<string, unknown>,
  publicKeys: readonly string[],
  strictCanonicalJson: boolean,
): boolean {
  const signatures = asObject(signed.signatures);
  if (!signatures) return false;
  for (const [server, byKey] of Object.entries(signatures)) {
    const keyIds = Object.keys(asObject(byKey) ?? {});
    for (const keyId of keyIds) {
      if (!keyId.startsWith('ed25519:')) continue;
      for (const pk of publicKeys) {
        if (verifyJsonSignature(signed, server, keyId, pk, { strict: strictCanonicalJson })) return true;
      }
    }
  }
  return false;
}

export function checkThirdPartyInvite(ctx: AuthContext, target: string): AuthResult {
  const { pdu } = ctx.event;
  if (ctx.membership(target) === 'ban') return deny('third-party invite: the target user is banned');
  const signed = asObject(asObject(pdu.content.third_party_invite)?.signed);
  if (!signed) return deny('third-party invite: content.third_party_invite has no signed object');
  const { mxid, token } = signed;
  if (typeof mxid !== 'string' || typeof token !== 'string') {
    return deny('third-party invite: signed object lacks mxid or token');
  }
  if (mxid !== target) return deny(`third-party invite: signed mxid ${mxid} does not match state_key ${target}`);
  const invite = ctx.get(thirdPartyInviteKey(token));
  if (!invite) return deny(`third-party invite: no m.room.third_party_invite with token ${token} in the room`);
  if (invite.pdu.sender !== pdu.sender) {
    return deny('third-party invite: sender differs from the sender of the m.room.third_party_invite');
  }
  const keys = thirdPartyInvitePublicKeys(invite.pdu.content);
  if (!verifySignedThirdPartyInvite(signed, keys, ctx.version.strictCanonicalJson)) {
    return deny('third-party invite: no signature in signed matches a public key of the m.room.third_party_invite');
  }
  return ALLOW;
}
