import { canonicalJsonBytes, signBytes, encodeBase64, type SigningKey } from '../../crypto/index.js';

// Request authentication (server-server API, "Request Authentication"): the method, target, origin,
// destination and JSON body are wrapped in an object whose canonical JSON the origin signs; the signature
// travels in an `Authorization: X-Matrix ...` header. Both directions live here so they cannot drift apart.

export interface RequestToSign {
  method: string;
  /** The request target as sent: path and query, starting with /_matrix/ (no scheme or host). */
  uri: string;
  origin: string;
  destination: string;
  /** The parsed JSON body; absent for requests without one. */
  content?: unknown;
}

/** The object that is signed (its canonical JSON, without `signatures`). */
export function requestSigningObject(req: RequestToSign): Record<string, unknown> {
  const obj: Record<string, unknown> = {
    method: req.method.toUpperCase(),
    uri: req.uri,
    origin: req.origin,
    destination: req.destination,
  };
  if (req.content !== undefined) obj.content = req.content;
  return obj;
}

/**
 * The bytes a request signature covers. Throws if the content is not canonical-JSON encodable. We sign
 * strictly; a received request is verified with `strict: false`, so a body holding a float (which canonical
 * JSON has no form for) is still authenticated, as Synapse does, and only the PDU holding it is refused.
 */
export function requestSigningBytes(req: RequestToSign, opts: { strict?: boolean } = {}): Buffer {
  return canonicalJsonBytes(requestSigningObject(req), opts);
}

/**
 * `X-Matrix origin="a",destination="b",key="ed25519:x",sig="..."`, written the conservative way the spec
 * asks senders to (one space, lower-case names, no whitespace around commas).
 */
export function xMatrixAuthorization(req: RequestToSign, key: SigningKey): string {
  const sig = encodeBase64(signBytes(key, requestSigningBytes(req)));
  return `X-Matrix origin="${req.origin}",destination="${req.destination}",key="${key.keyId}",sig="${sig}"`;
}

export interface XMatrixCredentials {
  origin: string;
  /** Absent when an old server left it out (recipients must accept that). */
  destination?: string;
  key: string;
  sig: string;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * Parses an Authorization header with the X-Matrix scheme (RFC 9110 auth-params): names are case
 * insensitive, values are tokens or quoted strings with backslash escapes, whitespace around commas is
 * allowed, unknown parameters are ignored, and (for old servers) colons are accepted in unquoted values.
 * Returns null when the scheme is not X-Matrix or a required parameter is missing or malformed.
 */
export function parseXMatrixAuthorization(header: string): XMatrixCredentials | null {
  const m = /^\s*X-Matrix[ \t]+/i.exec(header);
  if (!m) return null;
  const params = new Map<string, string>();
  let i = m[0].length;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  while (i < n) {
    skipSpace();
    if (header[i] === ',') {
      i++;
      continue;
    }
    if (i >= n) break;
    const nameStart = i;
    while (i < n && TOKEN_CHAR.test(header[i] as string)) i++;
    const name = header.slice(nameStart, i).toLowerCase();
    skipSpace();
    if (name === '' || header[i] !== '=') return null;
    i++;
    skipSpace();
    let value = '';
    if (header[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = header[i] as string;
        if (c === '\\') {
          if (i + 1 >= n) return null;
          value += header[i + 1];
          i += 2;
          continue;
        }
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        value += c;
        i++;
      }
      if (!closed) return null;
    } else {
      const start = i;
      while (i < n && (TOKEN_CHAR.test(header[i] as string) || header[i] === ':' || header[i] === '/' || header[i] === '=')) i++;
      value = header.slice(start, i);
    }
    skipSpace();
    if (i < n && header[i] !== ',') return null;
    // The first occurrence wins; a repeated parameter is not allowed to override it.
    if (!params.has(name)) params.set(name, value);
  }
  const origin = params.get('origin');
  const key = params.get('key');
  const sig = params.get('sig');
  if (!origin || !key || !sig) return null;
  const destination = params.get('destination');
  return destination === undefined ? { origin, key, sig } : { origin, destination, key, sig };
}
