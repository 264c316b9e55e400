import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { contentHash, contentHashBase64, referenceHash } from '../../src/crypto/hashes.js';

const sha = (s: string) => createHash('sha256').update(s).digest();

describe('event hashes', () => {
  test('the content hash excludes unsigned, signatures and hashes', () => {
    const ev = { type: 'X', content: { a: 1 }, unsigned: { age: 3 }, signatures: { s: {} }, hashes: { sha256: 'x' } };
    assert.deepEqual(contentHash(ev), sha('{"content":{"a":1},"type":"X"}'));
  });

  test('the content hash of the appendix minimal event matches the vector', () => {
    const ev = {
      room_id: '!x:domain',
      sender: '@a:domain',
      origin: 'domain',
      origin_server_ts: 1000000,
      signatures: {},
      hashes: {},
      type: 'X',
      content: {},
      prev_events: [],
      auth_events: [],
      depth: 3,
      unsigned: { age_ts: 1000000 },
    };
    assert.equal(contentHashBase64(ev), '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos');
  });

  test('the reference hash keeps hashes but drops signatures and unsigned', () => {
    const ev = { type: 'X', hashes: { sha256: 'h' }, signatures: { s: {} }, unsigned: {} };
    assert.deepEqual(referenceHash(ev), sha('{"hashes":{"sha256":"h"},"type":"X"}'));
  });
});
