import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64 } from '../../src/crypto/base64.js';
import { generateSigningKey, signBytes, signingKeyFromSeed, verifyBytes } from '../../src/crypto/ed25519.js';
import { formatSigningKeyFile, parseSigningKeyFile } from '../../src/crypto/key-file.js';

const SEED_B64 = 'YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1';

describe('ed25519 keys', () => {
  test('derives the same key from the same seed and signs deterministically', () => {
    const a = signingKeyFromSeed('ed25519:1', decodeBase64(SEED_B64));
    const b = signingKeyFromSeed('ed25519:1', decodeBase64(SEED_B64));
    assert.equal(a.publicKeyBase64, b.publicKeyBase64);
    assert.equal(a.publicKey.length, 32);
    const data = Buffer.from('hello');
    assert.deepEqual(signBytes(a, data), signBytes(b, data));
  });

  test('verifies its own signatures and rejects altered data', () => {
    const k = generateSigningKey('test');
    assert.equal(k.keyId, 'ed25519:test');
    const sig = signBytes(k, Buffer.from('payload')).toString('base64');
    assert.ok(verifyBytes(k.publicKeyBase64, Buffer.from('payload'), sig));
    assert.equal(verifyBytes(k.publicKeyBase64, Buffer.from('payloae'), sig), false);
  });

  test('refuses seeds that are not 32 bytes', () => {
    assert.throws(() => signingKeyFromSeed('ed25519:1', Buffer.alloc(31)));
  });

  test('generates key versions from the key-file alphabet', () => {
    for (let i = 0; i < 20; i++) assert.match(generateSigningKey().keyId, /^ed25519:a_[A-Za-z0-9]{4}$/);
  });
});

describe('Synapse signing key file', () => {
  test('round-trips keys', () => {
    // The appendix seed has non-zero padding bits, so compare decoded seeds rather than text.
    const keys = parseSigningKeyFile(`ed25519 1 ${SEED_B64}\n`);
    assert.equal(keys.length, 1);
    assert.equal(keys[0]?.keyId, 'ed25519:1');
    assert.deepEqual(keys[0]?.seed, decodeBase64(SEED_B64));
    const text = formatSigningKeyFile(keys);
    assert.match(text, /^ed25519 1 [A-Za-z0-9+/]{43}\n$/);
    assert.deepEqual(parseSigningKeyFile(text)[0]?.seed, keys[0]?.seed);
  });

  test('skips comments and blank lines', () => {
    assert.equal(parseSigningKeyFile(`# comment\n\ned25519 a_x ${SEED_B64}\n`).length, 1);
  });

  test('rejects unknown algorithms, bad versions and empty files', () => {
    assert.throws(() => parseSigningKeyFile(`curve25519 1 ${SEED_B64}`), /unsupported algorithm/);
    assert.throws(() => parseSigningKeyFile(`ed25519 a:b ${SEED_B64}`), /bad key version/);
    assert.throws(() => parseSigningKeyFile('# nothing\n'), /no key/);
  });
});
