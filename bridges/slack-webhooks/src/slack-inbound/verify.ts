import { createHmac, timingSafeEqual } from 'node:crypto';

// Authenticating what Slack sends us. Events API callbacks carry a request signature: `v0=` + hex
// HMAC-SHA256 over `v0:<X-Slack-Request-Timestamp>:<raw body>` keyed with the app's signing secret. The
// timestamp bounds replays: Slack recommends refusing anything more than five minutes away from our clock.
// Outgoing webhooks (the older integration) carry only a shared `token` in the form body.

/** Slack's recommended replay window. */
export const SIGNATURE_MAX_AGE_SECONDS = 5 * 60;

export type VerifyResult = { ok: true } | { ok: false; reason: string };

export interface SignedRequest {
  signingSecret: string;
  /** The X-Slack-Request-Timestamp header (seconds since the epoch). */
  timestamp: string | undefined;
  /** The X-Slack-Signature header. */
  signature: string | undefined;
  /** The body exactly as received: the signature covers bytes, not a re-serialised object. */
  rawBody: Buffer | string;
  nowSeconds: number;
}

export function slackSignature(signingSecret: string, timestamp: string, rawBody: Buffer | string): string {
  const mac = createHmac('sha256', signingSecret);
  mac.update(`v0:${timestamp}:`);
  mac.update(rawBody);
  return `v0=${mac.digest('hex')}`;
}

export function verifySlackSignature(req: SignedRequest): VerifyResult {
  if (!req.timestamp || !/^[0-9]{1,12}$/.test(req.timestamp)) return { ok: false, reason: 'missing or malformed X-Slack-Request-Timestamp' };
  if (!req.signature) return { ok: false, reason: 'missing X-Slack-Signature' };
  const age = Math.abs(req.nowSeconds - Number(req.timestamp));
  if (age > SIGNATURE_MAX_AGE_SECONDS) return { ok: false, reason: `request timestamp is ${age}s away from now (more than ${SIGNATURE_MAX_AGE_SECONDS}s)` };
  const expected = slackSignature(req.signingSecret, req.timestamp, req.rawBody);
  return sameSecret(expected, req.signature) ? { ok: true } : { ok: false, reason: 'signature does not match' };
}

/** Outgoing-webhook token check (timing-safe). */
export function tokenMatches(expected: string, given: unknown): boolean {
  return typeof given === 'string' && given.length > 0 && sameSecret(expected, given);
}

/**
 * Constant-time comparison. Both sides are hashed first so that timingSafeEqual sees equal lengths and the
 * length of the secret does not leak through an early return either.
 */
function sameSecret(a: string, b: string): boolean {
  const ha = createHmac('sha256', 'compare').update(a).digest();
  const hb = createHmac('sha256', 'compare').update(b).digest();
  return timingSafeEqual(ha, hb);
}
