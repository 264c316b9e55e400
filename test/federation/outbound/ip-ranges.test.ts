import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_IP_RANGE_BLOCKLIST } from '../../../src/config/defaults.js';
import { createIpPolicy } from '../../../src/federation/outbound/index.js';

test('the default blocklist refuses loopback, private and link-local addresses, including IPv4-mapped forms', () => {
  const policy = createIpPolicy(DEFAULT_IP_RANGE_BLOCKLIST);
  for (const a of ['127.0.0.1', '127.8.9.10', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.1.1', '100.64.0.1', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '[::1]', 'fe80::1%eth0']) {
    assert.equal(policy.allows(a), false, a);
  }
  for (const a of ['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']) assert.equal(policy.allows(a), true, a);
});

test('the allow list carves exceptions out of the blocklist; single addresses work as ranges', () => {
  const policy = createIpPolicy(['10.0.0.0/8', '203.0.113.7'], ['10.5.0.0/16']);
  assert.equal(policy.allows('10.5.1.1'), true);
  assert.equal(policy.allows('10.6.1.1'), false);
  assert.equal(policy.allows('203.0.113.7'), false);
  assert.equal(policy.allows('203.0.113.8'), true);
});

test('an empty blocklist allows loopback; garbage is never allowed', () => {
  const policy = createIpPolicy([]);
  assert.equal(policy.allows('127.0.0.1'), true);
  assert.equal(policy.allows('localhost'), false);
  assert.equal(policy.allows(''), false);
  assert.throws(() => createIpPolicy(['10.0.0.0/33']));
  assert.throws(() => createIpPolicy(['not-an-ip']));
});
