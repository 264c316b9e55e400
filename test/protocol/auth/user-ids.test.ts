import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { domainOf, isValidServerName, isValidUserId } from '../../../src/protocol/auth/index.js';

describe('user ids as the auth rules accept them', () => {
  const valid = ['@alice:example.org', '@a:1.2.3.4:8448', '@x:[::1]', '@x:[1234:5678::abcd]:5678', '@:example.org', '@Mixed Case!:example.org'];
  const invalid = ['alice:example.org', '@alice', '@alice:', '@a:exa_mple.org', '@a:300.1.1.1', '@a:example.org:99999x', `@${'a'.repeat(250)}:example.org`, 42];
  for (const id of valid) test(`accepts ${id}`, () => assert.equal(isValidUserId(id), true));
  for (const id of invalid) test(`rejects ${String(id).slice(0, 40)}`, () => assert.equal(isValidUserId(id), false));

  test('server names with ports', () => {
    assert.equal(isValidServerName('matrix.org:8888'), true);
    assert.equal(isValidServerName('[1234:5678::abcd]:5678'), true);
    assert.equal(isValidServerName('matrix.org:'), false);
  });

  test('domainOf takes everything after the first colon', () => {
    assert.equal(domainOf('@a:b.example:8448'), 'b.example:8448');
    assert.equal(domainOf('$opaque'), undefined);
  });
});
