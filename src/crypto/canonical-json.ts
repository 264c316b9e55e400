// Canonical JSON (appendices: "Canonical JSON"): object keys sorted by Unicode code point, no insignificant
// whitespace, UTF-8, integers only in [-(2^53)+1, 2^53-1] and no floats when `strict` (room v6+ and all
// signing of new data). Non-strict mode exists for hashing events of old room versions that peers created
// with floats or big numbers.

export class CanonicalJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CanonicalJsonError';
  }
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Compares two strings by Unicode code point (JS `<` compares UTF-16 code units, which orders astral characters wrongly). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Only when both are non-identical and at least one is a surrogate does UTF-16 order differ.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa === sb) return ca - cb;
    // A surrogate (astral character) sorts after every BMP character above the surrogate range.
    return sa ? 1 : -1;
  }
  return a.length - b.length;
}

function sortKeys(keys: string[]): string[] {
  // Plain sort is right unless a key holds surrogates; avoid the slower comparator on the hot path.
  for (const k of keys) {
    for (let i = 0; i < k.length; i++) {
      const c = k.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdfff) return keys.sort(compareCodePoints);
    }
  }
  return keys.sort();
}

function encode(value: unknown, strict: boolean, out: string[]): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError('non-finite number');
      if (strict) {
        if (!Number.isInteger(value)) throw new CanonicalJsonError(`number ${value} is not an integer`);
        if (value > MAX_SAFE || value < -MAX_SAFE) throw new CanonicalJsonError(`integer ${value} out of range`);
      }
      // Integers beyond 2^53 (old room versions only) are written out in full: JSON.stringify would
      // round them to 17 significant digits or switch to exponent form, breaking hashes of peers' events.
      // -0 is rendered as 0, like every JSON encoder.
      out.push(Number.isInteger(value) && Math.abs(value) > MAX_SAFE ? BigInt(value).toString() : JSON.stringify(value));
      return;
    case 'object': {
      if (Array.isArray(value)) {
        out.push('[');
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(',');
          encode(value[i], strict, out);
        }
        out.push(']');
        return;
      }
      const obj = value as Record<string, unknown>;
      const keys = sortKeys(Object.keys(obj).filter((k) => obj[k] !== undefined));
      out.push('{');
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        if (i > 0) out.push(',');
        out.push(JSON.stringify(k), ':');
        encode(obj[k], strict, out);
      }
      out.push('}');
      return;
    }
    default:
      throw new CanonicalJsonError(`cannot encode ${typeof value} as JSON`);
  }
}

/** Encodes a value as canonical JSON text. */
export function canonicalJson(value: unknown, opts: { strict?: boolean } = {}): string {
  const out: string[] = [];
  encode(value, opts.strict ?? true, out);
  return out.join('');
}

/** Canonical JSON as UTF-8 bytes, ready for hashing or signing. */
export function canonicalJsonBytes(value: unknown, opts: { strict?: boolean } = {}): Buffer {
  return Buffer.from(canonicalJson(value, opts), 'utf8');
}

/**
 * Checks that every number in a value is an integer in the canonical range (room v6+ rejects events
 * that break this). Returns a reason, or null when the value conforms. Walks the value without encoding it
 * (this runs on every event received or sent); it finds what strict encoding would refuse.
 */
export function canonicalJsonViolation(value: unknown): string | null {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      if (!Number.isFinite(value)) return 'non-finite number';
      if (!Number.isInteger(value)) return `number ${value} is not an integer`;
      if (value > MAX_SAFE || value < -MAX_SAFE) return `integer ${value} out of range`;
      return null;
    case 'object': {
      if (Array.isArray(value)) {
        for (const item of value) {
          const reason = canonicalJsonViolation(item);
          if (reason !== null) return reason;
        }
        return null;
      }
      for (const item of Object.values(value)) {
        if (item === undefined) continue;
        const reason = canonicalJsonViolation(item);
        if (reason !== null) return reason;
      }
      return null;
    }
    default:
      return `cannot encode ${typeof value} as JSON`;
  }
}

/** True where JSON.stringify would write other text than `encode`, or none: see canonicalJsonLength. */
function differsFromStringify(value: unknown): boolean {
  if (value === null) return false;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return false;
    case 'number':
      return !Number.isFinite(value) || (Number.isInteger(value) && Math.abs(value) > MAX_SAFE);
    case 'object':
      if (Array.isArray(value)) return value.some((item) => item === undefined || differsFromStringify(item));
      return Object.values(value).some((item) => item !== undefined && differsFromStringify(item));
    default:
      return true;
  }
}

/**
 * The length in UTF-8 bytes of a value's canonical JSON (not strict), as the size limit of events counts it.
 * JSON.stringify, native, writes the same text but for the order of keys, which leaves the length alone, except
 * for integers beyond 2^53 (an exponent form), non-finite numbers and non-JSON values (written as null, where
 * `canonicalJson` throws): a value holding any of those is encoded here instead, and throws as it would.
 */
export function canonicalJsonLength(value: unknown): number {
  return Buffer.byteLength(differsFromStringify(value) ? canonicalJson(value, { strict: false }) : JSON.stringify(value), 'utf8');
}
