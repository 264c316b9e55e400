import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, verifyPassword } from '../../src/auth/passwords.js';
import { generateToken, hashToken } from '../../src/auth/tokens.js';
import { TokenCache } from '../../src/auth/token-cache.js';

test('a $2b$ hash as Synapse (Python bcrypt) writes it verifies', async () => {
  // OpenBSD bcrypt test vector ("U*U", cost 5), in the $2b$ form Python's bcrypt emits.
  const hash = '$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';
  assert.equal(await verifyPassword('U*U', hash, { rounds: 4, pepper: '' }), true);
  assert.equal(await verifyPassword('U*V', hash, { rounds: 4, pepper: '' }), false);
});

test('hashes use the configured cost, the pepper and NFKC normalisation', async () => {
  const s = { rounds: 4, pepper: 'pep' };
  const hash = await hashPassword('ﬁsh', s);
  assert.match(hash, /^\$2[ab]\$04\$/);
  assert.equal(await verifyPassword('fish', hash, s), true, 'NFKC folds the ligature');
  assert.equal(await verifyPassword('fish', hash, { rounds: 4, pepper: '' }), false, 'the pepper is part of the secret');
  assert.equal(await verifyPassword('fish', 'not-a-hash', s), false);
});

test('tokens look like Synapse tokens and are stored only as digests', () => {
  const t = generateToken('syt', 'alice');
  assert.match(t, /^syt_YWxpY2U_[A-Za-z0-9]{20}_[A-Za-z0-9]{6}$/);
  assert.notEqual(generateToken('syt', 'alice'), t);
  assert.match(hashToken(t), /^[0-9a-f]{64}$/);
});

test('the token cache is bounded, expires entries and forgets a user on demand', () => {
  let now = 0;
  const cache = new TokenCache(2, 1000, () => now);
  const rec = (id: number, userId: string) => ({ id, userId, deviceId: 'D', validUntilTs: null, refreshTokenId: null, used: false, isGuest: false, deactivated: false, locked: false, suspended: false });
  cache.set('a', rec(1, '@a:x'));
  cache.set('b', rec(2, '@b:x'));
  cache.set('c', rec(3, '@a:x'));
  assert.equal(cache.get('a'), undefined, 'oldest evicted');
  assert.equal(cache.get('b')?.id, 2);
  cache.invalidateUser('@a:x');
  assert.equal(cache.get('c'), undefined);
  now = 2000;
  assert.equal(cache.get('b'), undefined, 'expired');
});
