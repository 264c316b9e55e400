// Synapse's duration and size notations, so a homeserver.yaml written for Synapse means the same here.
// A bare number is milliseconds (durations) or bytes (sizes), as in Synapse.

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
  T: 1024 ** 4,
};

export const DURATION_PATTERN = '^[0-9]+(ms|s|m|h|d|w|y)?$';
export const SIZE_PATTERN = '^[0-9]+[KMGT]?$';

/** "1d" -> 86400000; 5000 -> 5000. Throws on anything else. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`invalid duration ${value}`);
    return value;
  }
  const m = /^([0-9]+)(ms|s|m|h|d|w|y)?$/.exec(value.trim());
  if (!m) throw new Error(`invalid duration ${JSON.stringify(value)}`);
  const n = Number(m[1]) * (DURATION_UNITS[m[2] ?? 'ms'] ?? 1);
  if (!Number.isSafeInteger(n)) throw new Error(`duration ${JSON.stringify(value)} is too large`);
  return n;
}

/** "50M" -> 52428800; 1024 -> 1024. Units are binary (K = 1024), as in Synapse. */
export function parseSize(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`invalid size ${value}`);
    return value;
  }
  const m = /^([0-9]+)([KMGT]?)$/.exec(value.trim());
  if (!m) throw new Error(`invalid size ${JSON.stringify(value)}`);
  const n = Number(m[1]) * (SIZE_UNITS[m[2] ?? ''] ?? 1);
  if (!Number.isSafeInteger(n)) throw new Error(`size ${JSON.stringify(value)} is too large`);
  return n;
}
