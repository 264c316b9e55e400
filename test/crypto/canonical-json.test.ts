import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CanonicalJsonError,
  canonicalJson,
  canonicalJsonBytes,
  canonicalJsonLength,
  canonicalJsonViolation,
  compareCodePoints,
} from '../../src/crypto/canonical-json.js';

// The examples of the appendix "Canonical JSON", input text exactly as the spec prints it.
const APPENDIX_EXAMPLES: Array<[input: string, expected: string]> = [
  ['{}', '{}'],
  ['{\n    "one": 1,\n    "two": "Two"\n}', '{"one":1,"two":"Two"}'],
  ['{\n    "b": "2",\n    "a": "1"\n}', '{"a":"1","b":"2"}'],
  ['{"b":"2","a":"1"}', '{"a":"1","b":"2"}'],
  [
    `{
    "auth": {
        "success": true,
        "mxid": "@john.doe:example.com",
        "profile": {
            "display_name": "John Doe",
            "three_pids": [
                {
                    "medium": "email",
                    "address": "john.doe@example.org"
                },
                {
                    "medium": "msisdn",
                    "address": "123456789"
                }
            ]
        }
    }
}`,
    '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
  ],
  ['{\n    "a": "日本語"\n}', '{"a":"日本語"}'],
  ['{\n    "本": 2,\n    "日": 1\n}', '{"日":1,"本":2}'],
  ['{\n    "a": "\\u65E5"\n}', '{"a":"日"}'],
  ['{\n    "a": null\n}', '{"a":null}'],
  ['{\n    "a": -0,\n    "b": 1e10\n}', '{"a":0,"b":10000000000}'],
];

describe('canonical JSON: appendix examples', () => {
  for (const [input, expected] of APPENDIX_EXAMPLES) {
    test(`encodes ${JSON.stringify(input).slice(0, 40)} as ${expected.slice(0, 40)}`, () => {
      assert.equal(canonicalJson(JSON.parse(input)), expected);
    });
  }
});

describe('canonical JSON: strings', () => {
  test('writes non-ASCII characters as UTF-8, not \\u escapes', () => {
    const bytes = canonicalJsonBytes({ a: 'é😀' });
    assert.deepEqual([...bytes], [...Buffer.from('{"a":"é😀"}', 'utf8')]);
  });

  test('escapes control characters with the short escapes where they exist and \\u00XX otherwise', () => {
    assert.equal(canonicalJson('\b\t\n\f\r"\\'), '"\\b\\t\\n\\f\\r\\"\\\\"');
    assert.equal(canonicalJson('\u0000\u0001\u001f'), '"\\u0000\\u0001\\u001f"');
  });

  test('does not escape forward slashes or DEL', () => {
    assert.equal(canonicalJson('a/b\u007f'), '"a/b\u007f"');
  });
});

describe('canonical JSON: key order', () => {
  test('sorts keys by code point, so astral characters sort after U+FFFF-range ones', () => {
    // UTF-16 order would put U+1F600 (surrogates D83D..) before U+FF21; code point order puts it after.
    assert.equal(canonicalJson({ '😀': 1, 'Ａ': 2 }), '{"Ａ":2,"😀":1}');
  });

  test('compares code points rather than UTF-16 units', () => {
    assert.ok(compareCodePoints('\uff21', '😀') < 0);
    assert.ok(compareCodePoints('a', 'b') < 0);
    assert.ok(compareCodePoints('ab', 'a') > 0);
    assert.equal(compareCodePoints('x', 'x'), 0);
  });

  test('sorts nested objects and keeps array order', () => {
    assert.equal(canonicalJson({ z: [3, 1, { b: 1, a: 2 }], a: {} }), '{"a":{},"z":[3,1,{"a":2,"b":1}]}');
  });
});

describe('canonical JSON: numbers', () => {
  test('accepts the integer range bounds ±(2^53-1)', () => {
    assert.equal(canonicalJson({ max: 2 ** 53 - 1, min: -(2 ** 53) + 1 }), '{"max":9007199254740991,"min":-9007199254740991}');
  });

  test('refuses integers beyond the range in strict mode', () => {
    assert.throws(() => canonicalJson(2 ** 53), CanonicalJsonError);
    assert.throws(() => canonicalJson(-(2 ** 53)), CanonicalJsonError);
  });

  test('refuses floats in strict mode', () => {
    assert.throws(() => canonicalJson({ a: 1.5 }), CanonicalJsonError);
  });

  test('renders floats and large numbers in non-strict mode (old room versions)', () => {
    assert.equal(canonicalJson({ a: 1.5, b: 2 ** 60 }, { strict: false }), '{"a":1.5,"b":1152921504606846976}');
    assert.equal(canonicalJson(1e21, { strict: false }), '1000000000000000000000');
  });

  test('never encodes non-finite numbers', () => {
    assert.throws(() => canonicalJson(Number.NaN, { strict: false }), CanonicalJsonError);
    assert.throws(() => canonicalJson(Number.POSITIVE_INFINITY, { strict: false }), CanonicalJsonError);
  });

  test('reports the violation instead of throwing from canonicalJsonViolation', () => {
    assert.equal(canonicalJsonViolation({ a: [1, 2, { b: 3 }] }), null);
    assert.match(canonicalJsonViolation({ a: [1, { b: 0.5 }] }) ?? '', /not an integer/);
    assert.match(canonicalJsonViolation({ a: 2 ** 53 }) ?? '', /out of range/);
  });

  test('canonicalJsonViolation names what strict encoding refuses, and skips keys left undefined as encoding does', () => {
    const values: unknown[] = [
      { a: 'x', b: [true, null, { c: -(2 ** 53) + 1 }], d: undefined },
      { a: [1, [2, [3.25]]] },
      { a: -(2 ** 53) },
      { a: [Number.NaN] },
      { a: Number.NEGATIVE_INFINITY },
      { a: [undefined] },
      { a: 2n },
    ];
    for (const value of values) {
      let expected: string | null = null;
      try {
        canonicalJson(value, { strict: true });
      } catch (e) {
        expected = (e as Error).message;
      }
      assert.equal(canonicalJsonViolation(value), expected, JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
    }
  });
});

describe('canonical JSON: length', () => {
  test('is the byte length of the canonical encoding, whatever the key order, text or numbers', () => {
    const values: unknown[] = [
      {},
      { z: 1, a: [2, 'three', null, false], m: { y: 'é', b: '😀', c: '\u0001 "quoted" \\ back' } },
      { lone: '\ud800 alone', zero: -0, float: 0.1, exp: 1e21, big: 2 ** 60, neg: -(2 ** 60), small: 5e-7 },
      { nested: [[[{ deep: 'x'.repeat(1000) }]]], skipped: undefined },
      'plain',
      12345678901234567890,
    ];
    for (const value of values) assert.equal(canonicalJsonLength(value), canonicalJsonBytes(value, { strict: false }).length, JSON.stringify(value));
  });

  test('throws where encoding throws', () => {
    assert.throws(() => canonicalJsonLength({ a: Number.NaN }), CanonicalJsonError);
    assert.throws(() => canonicalJsonLength({ a: [undefined] }), CanonicalJsonError);
    assert.throws(() => canonicalJsonLength({ a: () => 1 }), CanonicalJsonError);
  });
});
