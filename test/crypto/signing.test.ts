import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64 } from '../../src/crypto/base64.js';
import { signingKeyFromSeed } from '../../src/crypto/ed25519.js';
import { signJson, verifyJsonSignature } from '../../src/crypto/signing.js';

// Appendix "Cryptographic Test Vectors": signing key and JSON signing.
const SEED = decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1');
const key = signingKeyFromSeed('ed25519:1', SEED);

describe('JSON signing test vectors', () => {
  test('signs the empty object', () => {
    assert.deepEqual(signJson({}, 'domain', key), {
      signatures: {
        domain: {
          'ed25519:1': 'K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ',
        },
      },
    });
  });

  test('signs an object with data values', () => {
    assert.deepEqual(signJson({ one: 1, two: 'Two' }, 'domain', key), {
      one: 1,
      signatures: {
        domain: {
          'ed25519:1': 'KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw',
        },
      },
      two: 'Two',
    });
  });

  test('ignores unsigned and existing signatures when signing, and keeps both', () => {
    const signed = signJson(
      { one: 1, two: 'Two', unsigned: { age_ts: 5 }, signatures: { other: { 'ed25519:x': 'abc' } } },
      'domain',
      key,
    );
    const signatures: Record<string, Record<string, string>> = signed.signatures;
    assert.equal(
      signatures.domain?.['ed25519:1'],
      'KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw',
    );
    assert.deepEqual(signed.signatures.other, { 'ed25519:x': 'abc' });
    assert.deepEqual(signed.unsigned, { age_ts: 5 });
  });

  test('signs non-strict JSON only when asked to', () => {
    assert.throws(() => signJson({ a: 1.5 }, 'domain', key));
    const signed = signJson({ a: 1.5 }, 'domain', key, { strict: false });
    assert.ok(verifyJsonSignature(signed, 'domain', 'ed25519:1', key.publicKeyBase64, { strict: false }));
  });
});

describe('JSON signature verification', () => {
  const signed = signJson({ one: 1, two: 'Two' }, 'domain', key);

  test('accepts the vector signature with the matching public key', () => {
    assert.ok(verifyJsonSignature(signed, 'domain', 'ed25519:1', key.publicKeyBase64));
  });

  test('ignores changes to unsigned', () => {
    assert.ok(verifyJsonSignature({ ...signed, unsigned: { age: 1 } }, 'domain', 'ed25519:1', key.publicKeyBase64));
  });

  test('fails when a signed value changes', () => {
    assert.equal(verifyJsonSignature({ ...signed, two: 'Three' }, 'domain', 'ed25519:1', key.publicKeyBase64), false);
  });

  test('fails for a missing server, key id or a different key', () => {
    const other = signingKeyFromSeed('ed25519:1', Buffer.alloc(32, 7));
    assert.equal(verifyJsonSignature(signed, 'elsewhere', 'ed25519:1', key.publicKeyBase64), false);
    assert.equal(verifyJsonSignature(signed, 'domain', 'ed25519:2', key.publicKeyBase64), false);
    assert.equal(verifyJsonSignature(signed, 'domain', 'ed25519:1', other.publicKeyBase64), false);
  });

  test('fails, without throwing, for malformed signatures and keys', () => {
    const garbled = { ...signed, signatures: { domain: { 'ed25519:1': '!!!' } } };
    assert.equal(verifyJsonSignature(garbled, 'domain', 'ed25519:1', key.publicKeyBase64), false);
    assert.equal(verifyJsonSignature(signed, 'domain', 'ed25519:1', 'AAAA'), false);
  });
});
