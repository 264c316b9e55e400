import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64, encodeBase64, encodeBase64Url } from '../../src/crypto/base64.js';

// Appendix "Unpadded Base64" examples.
const EXAMPLES: Array<[string, string]> = [
  ['', ''],
  ['f', 'Zg'],
  ['fo', 'Zm8'],
  ['foo', 'Zm9v'],
  ['foob', 'Zm9vYg'],
  ['fooba', 'Zm9vYmE'],
  ['foobar', 'Zm9vYmFy'],
];

describe('unpadded base64', () => {
  for (const [plain, encoded] of EXAMPLES) {
    test(`encodes "${plain}" as "${encoded}" and back`, () => {
      assert.equal(encodeBase64(Buffer.from(plain)), encoded);
      assert.equal(decodeBase64(encoded).toString(), plain);
    });
  }

  test('decodes padded input too', () => {
    assert.equal(decodeBase64('Zm8=').toString(), 'fo');
    assert.equal(decodeBase64('Zg==').toString(), 'f');
  });

  test('uses - and _ in the URL-safe alphabet and + and / in the standard one', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf]);
    assert.equal(encodeBase64(bytes), '+/+/');
    assert.equal(encodeBase64Url(bytes), '-_-_');
    assert.deepEqual(decodeBase64('-_-_'), bytes);
  });

  test('encodes a view of a larger buffer without leaking the surrounding bytes', () => {
    const big = Buffer.from('xxfooxx');
    assert.equal(encodeBase64(big.subarray(2, 5)), 'Zm9v');
  });

  test('rejects characters outside both alphabets and impossible lengths', () => {
    assert.throws(() => decodeBase64('Zm9v!'));
    assert.throws(() => decodeBase64('Z'));
  });
});
