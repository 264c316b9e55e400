import { createHash, randomBytes, randomInt } from 'node:crypto';

// Opaque secrets handed to clients. Only their SHA-256 digests are stored, so the database never holds a usable
// token. The shape follows Synapse (`syt_<localpart>_<random>_<check>`): the localpart helps operators reading
// logs, and the checksum lets a scanner for leaked secrets recognise them without a database.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomString(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/** CRC-32 (IEEE), the checksum Synapse appends to its tokens. */
function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function base62(n: number, width: number): string {
  let out = '';
  do {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out.padStart(width, 'A');
}

/** `prefix` is 'syt' (access), 'syr' (refresh) or 'syl' (login). */
export function generateToken(prefix: string, localpart: string): string {
  const b64 = Buffer.from(localpart, 'utf8').toString('base64url');
  const base = `${prefix}_${b64}_${randomString(20)}`;
  return `${base}_${base62(crc32(base), 6)}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Device ids like Synapse's: ten upper-case letters. */
export function generateDeviceId(): string {
  let out = '';
  for (let i = 0; i < 10; i++) out += String.fromCharCode(65 + randomInt(26));
  return out;
}

export function randomSessionId(): string {
  return randomBytes(18).toString('base64url');
}
