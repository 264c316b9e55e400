import { decodeBase64, encodeBase64 } from '../crypto/base64.js';
import { canonicalJsonBytes } from '../crypto/canonical-json.js';
import { signBytes, verifyBytes, type SigningKey } from '../crypto/ed25519.js';
import { contentHash, sha256 } from '../crypto/hashes.js';
import { signJson, withSignature } from '../crypto/signing.js';
import type { EventId } from '../types/ids.js';
import type { Signatures } from '../types/pdu.js';
import { computeEventId, eventIdFromReferenceHash } from './event-id.js';
import { parseKeyId, serverNameOf } from './identifiers.js';
import { redactEvent } from './redaction.js';
import type { RoomVersion } from './room-versions.js';

// Hashing and signing events (server-server API, "Signing Events"). The content hash covers the full
// event; the signature covers the *redacted* event (which includes the hashes), so a signature stays
// checkable on a redacted copy while the hash reveals whether non-essential keys were altered.
// Key lookup is a parameter: the keyring lives in a service, this layer stays pure.

type EventJson = Readonly<Record<string, unknown>>;

// An intersection rather than Omit<>: Omit over Pdu's index signature would erase its named fields.
export type Signed<T> = T & { hashes: { sha256: string }; signatures: Signatures };

function strictness(version: RoomVersion): { strict: boolean } {
  return { strict: version.strictCanonicalJson };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Unpadded base64 SHA-256 content hash of an event, as carried in `hashes.sha256`. */
export function computeContentHash(version: RoomVersion, event: EventJson): string {
  return encodeBase64(contentHash(event, strictness(version)));
}

/**
 * Signs the redacted form of `event` and returns a copy carrying the new signature beside any it had.
 * The hashes are left alone: this is how a second server (invitee, restricted-join authoriser) adds its
 * signature to an event someone else built.
 */
export function addEventSignature<T extends Record<string, unknown>>(
  version: RoomVersion,
  event: T,
  serverName: string,
  key: SigningKey,
): T {
  const redacted = redactEvent(version, event);
  const signed = signJson(redacted, serverName, key, strictness(version));
  return { ...event, signatures: signed.signatures };
}

/**
 * Computes the content hash, then signs the redacted event, for an event this server creates. Any
 * previous `hashes` are replaced; previous signatures are kept (they are usually absent).
 * Returns the finished event and its id (for v1/v2 the event must already carry its `event_id`).
 */
export function hashAndSignEvent<T extends Record<string, unknown>>(
  version: RoomVersion,
  event: T,
  serverName: string,
  key: SigningKey,
): { pdu: Signed<T>; eventId: EventId } {
  const hashed = { ...event, hashes: { sha256: computeContentHash(version, event) } };
  // The signature covers the redacted event without `signatures` and `unsigned`; the reference hash (the event
  // id) covers the same bytes, once the event has no top-level `age_ts` (which only the hash leaves out). So
  // they are encoded once for both: canonical JSON of an event was ~5% of a sent message's CPU, done five times.
  const { signatures: _s, unsigned: _u, ...covered } = redactEvent(version, hashed);
  if (version.eventIdFormat === 'v1' || Object.hasOwn(covered, 'age_ts')) {
    const pdu = addEventSignature(version, hashed, serverName, key) as unknown as Signed<T>;
    return { pdu, eventId: computeEventId(version, pdu) };
  }
  const bytes = canonicalJsonBytes(covered, strictness(version));
  const pdu = withSignature(hashed, serverName, key.keyId, signBytes(key, bytes)) as unknown as Signed<T>;
  return { pdu, eventId: eventIdFromReferenceHash(version, sha256(bytes)) };
}

/** True when `hashes.sha256` matches the event's content. A mismatch means "redact before use". */
export function checkContentHash(version: RoomVersion, event: EventJson): boolean {
  const hashes = event.hashes;
  if (!isObject(hashes) || typeof hashes.sha256 !== 'string') return false;
  let claimed: Buffer;
  let actual: Buffer;
  try {
    claimed = decodeBase64(hashes.sha256);
    actual = contentHash(event, strictness(version));
  } catch {
    return false;
  }
  return claimed.equals(actual);
}

// ---------------------------------------------------------------------------------------------------
// Verification

/** A verify key as the keyring knows it. */
export interface VerifyKey {
  /** Unpadded base64 ed25519 public key. */
  publicKey: string;
  /**
   * Until when the key may be trusted (ms since epoch). The keyring should already have capped it at
   * 7 days from when it fetched the key (rooms/v5, signing key validity). Undefined means "no limit".
   */
  validUntilTs?: number;
}

export type KeyLookup = (serverName: string, keyId: string) => VerifyKey | undefined;
export type AsyncKeyLookup = (serverName: string, keyId: string) => VerifyKey | undefined | Promise<VerifyKey | undefined>;

export type SignatureRequirementReason = 'sender' | 'event_id' | 'authorising_server' | 'third_party_invite';

/** One of `servers` must have validly signed the event. */
export interface SignatureRequirement {
  servers: string[];
  reason: SignatureRequirementReason;
}

export interface KeyRequest {
  serverName: string;
  keyId: string;
  /** The key must be valid at least until this time (the event's origin_server_ts); absent for v1-v4. */
  minimumValidUntilTs?: number;
}

/** `missingKey`: no key of the server could be had to check with (not a signature that fails to verify). */
export type SignatureCheckResult = { ok: true } | { ok: false; reason: string; serverName?: string; missingKey?: boolean };

function signaturesOf(event: EventJson): Record<string, unknown> {
  return isObject(event.signatures) ? event.signatures : {};
}

function isThirdPartyInvite(event: EventJson): boolean {
  if (event.type !== 'm.room.member' || !isObject(event.content)) return false;
  return event.content.membership === 'invite' && isObject(event.content.third_party_invite);
}

/**
 * Which servers must have signed an event ("Validating hashes and signatures on received events", and
 * the v8+ auth rule on `join_authorised_via_users_server`):
 * - the sender's server, except for invites made from a third-party invite, which another server may
 *   send on the sender's behalf; for those we still demand a valid signature from *some* server, so
 *   an event with no verifiable signature is never accepted;
 * - v1/v2: also the server named in the event id, when it differs;
 * - v8+: the server of `content.join_authorised_via_users_server` on member events that carry it.
 */
export function signatureRequirements(version: RoomVersion, event: EventJson): SignatureRequirement[] {
  const out: SignatureRequirement[] = [];
  const senderServer = typeof event.sender === 'string' ? serverNameOf(event.sender) : undefined;
  if (isThirdPartyInvite(event)) {
    out.push({ servers: Object.keys(signaturesOf(event)), reason: 'third_party_invite' });
  } else {
    out.push({ servers: senderServer ? [senderServer] : [], reason: 'sender' });
  }
  if (version.eventIdFormat === 'v1' && typeof event.event_id === 'string') {
    const idServer = serverNameOf(event.event_id);
    out.push({ servers: idServer ? [idServer] : [], reason: 'event_id' });
  }
  if (version.restrictedJoins && event.type === 'm.room.member' && isObject(event.content)) {
    const via = event.content.join_authorised_via_users_server;
    if (via !== undefined) {
      const viaServer = typeof via === 'string' ? serverNameOf(via) : undefined;
      out.push({ servers: viaServer ? [viaServer] : [], reason: 'authorising_server' });
    }
  }
  return out;
}

function ed25519KeyIds(sigs: unknown): string[] {
  if (!isObject(sigs)) return [];
  return Object.keys(sigs).filter((k) => parseKeyId(k)?.algorithm === 'ed25519' && typeof sigs[k] === 'string');
}

/** The keys the keyring must provide before `checkEventSignatures` can decide (for batched fetching). */
export function keysToFetch(version: RoomVersion, event: EventJson): KeyRequest[] {
  const sigs = signaturesOf(event);
  const ts = typeof event.origin_server_ts === 'number' ? event.origin_server_ts : 0;
  const seen = new Set<string>();
  const out: KeyRequest[] = [];
  for (const req of signatureRequirements(version, event)) {
    for (const serverName of req.servers) {
      for (const keyId of ed25519KeyIds(sigs[serverName])) {
        const k = `${serverName}\u0000${keyId}`;
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(version.enforceKeyValidity ? { serverName, keyId, minimumValidUntilTs: ts } : { serverName, keyId });
      }
    }
  }
  return out;
}

type ServerVerdict = 'valid' | 'invalid' | 'no-key';

/**
 * A server passes when every signature made with a key we know (and that was valid at the event's
 * time, for v5+) verifies, and there is at least one such signature. Unknown and expired keys are
 * skipped, as the spec says.
 */
function checkServer(
  version: RoomVersion,
  signedBytes: Buffer,
  sigs: unknown,
  serverName: string,
  originTs: number,
  lookup: KeyLookup,
): ServerVerdict {
  if (!isObject(sigs)) return 'no-key';
  let verified = false;
  for (const keyId of ed25519KeyIds(sigs)) {
    const key = lookup(serverName, keyId);
    if (!key) continue;
    if (version.enforceKeyValidity && key.validUntilTs !== undefined && key.validUntilTs < originTs) continue;
    if (!verifyBytes(key.publicKey, signedBytes, sigs[keyId] as string)) return 'invalid';
    verified = true;
  }
  return verified ? 'valid' : 'no-key';
}

/** Checks the signatures an event needs against keys from `lookup` (synchronous; see keysToFetch). */
export function checkEventSignatures(version: RoomVersion, event: EventJson, lookup: KeyLookup): SignatureCheckResult {
  const { signatures: _s, unsigned: _u, ...rest } = redactEvent(version, event);
  let signedBytes: Buffer;
  try {
    signedBytes = canonicalJsonBytes(rest, strictness(version));
  } catch (e) {
    return { ok: false, reason: `event is not canonical JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  const sigs = signaturesOf(event);
  const originTs = typeof event.origin_server_ts === 'number' ? event.origin_server_ts : 0;
  const verdicts = new Map<string, ServerVerdict>();
  const verdict = (server: string): ServerVerdict => {
    let v = verdicts.get(server);
    if (v === undefined) {
      v = checkServer(version, signedBytes, sigs[server], server, originTs, lookup);
      verdicts.set(server, v);
    }
    return v;
  };
  for (const req of signatureRequirements(version, event)) {
    if (req.servers.length === 0) return { ok: false, reason: `no server to check for the ${req.reason} signature` };
    const results = req.servers.map((s) => [s, verdict(s)] as const);
    if (results.some(([, v]) => v === 'valid')) continue;
    const bad = results.find(([, v]) => v === 'invalid');
    if (bad) return { ok: false, reason: `invalid signature from ${bad[0]} (${req.reason})`, serverName: bad[0] };
    const first = req.servers[0];
    return req.servers.length === 1 && first !== undefined
      ? { ok: false, reason: `no valid signature from ${first} with a known key (${req.reason})`, serverName: first, missingKey: true }
      : { ok: false, reason: `no valid signature from any server with a known key (${req.reason})` };
  }
  return { ok: true };
}

/** Like checkEventSignatures, but fetches each needed key through an asynchronous lookup first. */
export async function verifyEventSignatures(
  version: RoomVersion,
  event: EventJson,
  lookup: AsyncKeyLookup,
): Promise<SignatureCheckResult> {
  const requests = keysToFetch(version, event);
  const found = await Promise.all(requests.map((r) => lookup(r.serverName, r.keyId)));
  const keys = new Map<string, VerifyKey>();
  requests.forEach((r, i) => {
    const key = found[i];
    if (key) keys.set(`${r.serverName}\u0000${r.keyId}`, key);
  });
  return checkEventSignatures(version, event, (server, keyId) => keys.get(`${server}\u0000${keyId}`));
}

/** The keys needed to check `serverName`'s own signature on an event (see checkServerSignature). */
export function serverSignatureKeys(version: RoomVersion, event: EventJson, serverName: string): KeyRequest[] {
  const ts = typeof event.origin_server_ts === 'number' ? event.origin_server_ts : 0;
  return ed25519KeyIds(signaturesOf(event)[serverName]).map((keyId) =>
    version.enforceKeyValidity ? { serverName, keyId, minimumValidUntilTs: ts } : { serverName, keyId },
  );
}

/**
 * Whether `serverName` validly signed the event, whatever the rules require of it: a countersignature
 * that no auth rule demands but a protocol step does (the invitee's server on an /invite answer).
 */
export function checkServerSignature(version: RoomVersion, event: EventJson, serverName: string, lookup: KeyLookup): SignatureCheckResult {
  const { signatures: _s, unsigned: _u, ...rest } = redactEvent(version, event);
  let signedBytes: Buffer;
  try {
    signedBytes = canonicalJsonBytes(rest, strictness(version));
  } catch (e) {
    return { ok: false, reason: `event is not canonical JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  const originTs = typeof event.origin_server_ts === 'number' ? event.origin_server_ts : 0;
  const verdict = checkServer(version, signedBytes, signaturesOf(event)[serverName], serverName, originTs, lookup);
  if (verdict === 'valid') return { ok: true };
  if (verdict === 'invalid') return { ok: false, reason: `invalid signature from ${serverName}`, serverName };
  return { ok: false, reason: `no valid signature from ${serverName} with a known key`, serverName, missingKey: true };
}
