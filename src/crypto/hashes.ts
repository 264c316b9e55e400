import { createHash } from 'node:crypto';
import { canonicalJsonBytes } from './canonical-json.js';
import { encodeBase64 } from './base64.js';

// Event hashes (server-server API, "Signing Events"). The content hash covers the event without
// `unsigned`, `signatures` and `hashes`; the reference hash covers the *redacted* event without
// `signatures` and `unsigned`. Redaction depends on the room version, so callers redact first
// (src/protocol/redaction.ts); this layer only hashes.

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Raw SHA-256 content hash of an event. */
export function contentHash(event: Record<string, unknown>, opts: { strict?: boolean } = {}): Buffer {
  const { unsigned: _u, signatures: _s, hashes: _h, ...rest } = event;
  return sha256(canonicalJsonBytes(rest, opts));
}

/** Unpadded base64 content hash, as carried in `hashes.sha256`. */
export function contentHashBase64(event: Record<string, unknown>, opts: { strict?: boolean } = {}): string {
  return encodeBase64(contentHash(event, opts));
}

/** Raw SHA-256 reference hash of an already-redacted event. */
export function referenceHash(redactedEvent: Record<string, unknown>, opts: { strict?: boolean } = {}): Buffer {
  const { unsigned: _u, signatures: _s, age_ts: _a, ...rest } = redactedEvent;
  return sha256(canonicalJsonBytes(rest, opts));
}
