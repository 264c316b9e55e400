import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSigningKey, verifyBytes } from '../../../src/crypto/index.js';
import { parseXMatrixAuthorization, requestSigningBytes, xMatrixAuthorization } from '../../../src/federation/outbound/index.js';

test('a header we write parses back and its signature covers method, uri, both names and the body', () => {
  const key = generateSigningKey('k1');
  const req = { method: 'PUT', uri: '/_matrix/federation/v1/send/t1?x=1', origin: 'a.test', destination: 'b.test', content: { pdus: [], edus: [] } };
  const header = xMatrixAuthorization(req, key);
  assert.match(header, /^X-Matrix origin="a\.test",destination="b\.test",key="ed25519:k1",sig="[A-Za-z0-9+/]+"$/);
  const creds = parseXMatrixAuthorization(header);
  assert.ok(creds);
  assert.deepEqual({ ...creds, sig: undefined }, { origin: 'a.test', destination: 'b.test', key: 'ed25519:k1', sig: undefined });
  assert.ok(verifyBytes(key.publicKeyBase64, requestSigningBytes(req), creds.sig));
  for (const changed of [
    { ...req, method: 'POST' },
    { ...req, uri: '/_matrix/federation/v1/send/t1?x=2' },
    { ...req, origin: 'c.test' },
    { ...req, destination: 'c.test' },
    { ...req, content: { pdus: [], edus: [{}] } },
  ]) {
    assert.ok(!verifyBytes(key.publicKeyBase64, requestSigningBytes(changed), creds.sig), JSON.stringify(changed));
  }
});

test('a request without a body signs no content key at all', () => {
  const withEmpty = requestSigningBytes({ method: 'GET', uri: '/x', origin: 'a', destination: 'b', content: {} }).toString();
  const without = requestSigningBytes({ method: 'get', uri: '/x', origin: 'a', destination: 'b' }).toString();
  assert.equal(without, '{"destination":"b","method":"GET","origin":"a","uri":"/x"}');
  assert.notEqual(withEmpty, without);
});

test('parsing follows RFC 9110 auth-params: case-insensitive names, any order, spaces, escapes, tokens', () => {
  const cases: Array<[string, Record<string, string | undefined>]> = [
    ['X-Matrix origin="o.test",destination="d.test",key="ed25519:a",sig="c2ln"', { origin: 'o.test', destination: 'd.test', key: 'ed25519:a', sig: 'c2ln' }],
    ['x-matrix   SIG="c2ln" , Key="ed25519:a",\tOrigin="o.test"', { origin: 'o.test', destination: undefined, key: 'ed25519:a', sig: 'c2ln' }],
    // Old servers send colons unquoted.
    ['X-Matrix origin=o.test:8448,key=ed25519:a,sig=c2ln+/=', { origin: 'o.test:8448', destination: undefined, key: 'ed25519:a', sig: 'c2ln+/=' }],
    ['X-Matrix origin="o\\"x",key="ed25519:a",sig="c\\\\2",unknown="ignored"', { origin: 'o"x', destination: undefined, key: 'ed25519:a', sig: 'c\\2' }],
  ];
  for (const [header, expected] of cases) {
    const parsed = parseXMatrixAuthorization(header);
    assert.ok(parsed, header);
    assert.deepEqual({ origin: parsed.origin, destination: parsed.destination, key: parsed.key, sig: parsed.sig }, expected, header);
  }
});

test('other schemes, missing parameters and broken syntax are rejected', () => {
  for (const header of [
    'Bearer abc',
    'X-Matrix',
    'X-Matrix origin="o",key="ed25519:a"',
    'X-Matrix origin="o",sig="s"',
    'X-Matrix origin="o,key="ed25519:a",sig="s"',
    'X-Matrix origin "o",key="ed25519:a",sig="s"',
    'X-Matrixorigin="o",key="k",sig="s"',
  ]) {
    assert.equal(parseXMatrixAuthorization(header), null, header);
  }
});
