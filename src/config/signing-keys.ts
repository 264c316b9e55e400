import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatSigningKeyFile, generateSigningKey, parseSigningKeyFile, type SigningKey } from '../crypto/index.js';
import { ConfigError } from './errors.js';

// The signing key file is our federation identity, in Synapse's format so an operator can move a server between
// implementations. It is created once and never rewritten: losing it means other servers reject us until their
// cached copy of our key expires.

export interface SigningKeysResult {
  keys: SigningKey[];
  /** True when this call created the file. */
  created: boolean;
}

/** Writes a fresh key to `path` unless a file is already there. Owner-only permissions: it is a private key. */
export function ensureSigningKeyFile(path: string): { created: boolean } {
  mkdirSync(dirname(path), { recursive: true });
  try {
    // 'wx' fails when the file exists, so two processes starting at once cannot both write a key.
    writeFileSync(path, formatSigningKeyFile([generateSigningKey()]), { flag: 'wx', mode: 0o600 });
    return { created: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return { created: false };
    throw new ConfigError(`signing_key_path: cannot write ${path} (${(e as Error).message})`);
  }
}

/** Reads the signing keys at `path`, generating the file first when it is missing. */
export function loadOrCreateSigningKeys(path: string): SigningKeysResult {
  const { created } = ensureSigningKeyFile(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`signing_key_path: cannot read ${path} (${(e as Error).message})`);
  }
  try {
    return { keys: parseSigningKeyFile(text), created };
  } catch (e) {
    throw new ConfigError(`signing_key_path: ${path} is not a valid signing key file (${(e as Error).message})`);
  }
}
