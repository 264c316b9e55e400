import { decodeBase64, encodeBase64 } from './base64.js';
import { signingKeyFromSeed, type SigningKey } from './ed25519.js';

// Synapse's signing key file: one key a line, `ed25519 <version> <unpadded base64 seed>`, so an operator
// can bring the key of a Synapse server they replace and keep its federation identity.

export function parseSigningKeyFile(text: string): SigningKey[] {
  const keys: SigningKey[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    if (parts.length !== 3) throw new Error(`signing key file line ${i + 1}: expected "<algorithm> <version> <seed>"`);
    const [alg, version, seed] = parts as [string, string, string];
    if (alg !== 'ed25519') throw new Error(`signing key file line ${i + 1}: unsupported algorithm ${alg}`);
    if (!/^[a-zA-Z0-9_]+$/.test(version)) throw new Error(`signing key file line ${i + 1}: bad key version`);
    let bytes: Buffer;
    try {
      bytes = decodeBase64(seed);
    } catch {
      throw new Error(`signing key file line ${i + 1}: seed is not base64`);
    }
    if (bytes.length !== 32) throw new Error(`signing key file line ${i + 1}: seed must be 32 bytes`);
    keys.push(signingKeyFromSeed(`${alg}:${version}`, bytes));
  }
  if (keys.length === 0) throw new Error('signing key file holds no key');
  return keys;
}

export function formatSigningKeyFile(keys: SigningKey[]): string {
  return keys.map((k) => `${k.keyId.replace(':', ' ')} ${encodeBase64(k.seed)}\n`).join('');
}
