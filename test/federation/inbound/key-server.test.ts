import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSigningKey, verifyJsonSignature } from '../../../src/crypto/index.js';
import { MAX_KEY_VALIDITY_MS, serverKeysDocument } from '../../../src/federation/inbound/key-server.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { startHttpServer, testConfig } from '../../helpers/http.js';

const NOW = 1_750_000_000_000;

test('GET /_matrix/key/v2/server is signed by the key it publishes and matches the spec', async () => {
  const key = generateSigningKey('abc');
  const server = await startHttpServer({
    resources: ['federation'],
    signingKeys: [key],
    config: { serverName: 'keys.example.org', keyRefreshIntervalMs: 3_600_000 },
    now: () => NOW,
  });
  try {
    const res = await fetch(`${server.baseUrl}/_matrix/key/v2/server`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as Record<string, unknown> & { verify_keys: Record<string, { key: string }> };
    assertMatchesSpec('server-server', 'GET', '/_matrix/key/v2/server', 200, doc);
    assert.equal(doc.server_name, 'keys.example.org');
    assert.equal(doc.valid_until_ts, NOW + 3_600_000);
    const published = doc.verify_keys['ed25519:abc'];
    assert.ok(published);
    assert.equal(published.key, key.publicKeyBase64);
    assert.ok(verifyJsonSignature(doc, 'keys.example.org', 'ed25519:abc', published.key));
    // Tampering breaks it, so the check above is meaningful.
    assert.ok(!verifyJsonSignature({ ...doc, valid_until_ts: NOW + 1 }, 'keys.example.org', 'ed25519:abc', published.key));
  } finally {
    await server.close();
  }
});

test('the deprecated /_matrix/key/v2/server/{keyId} answers with the same document', async () => {
  const server = await startHttpServer({ resources: ['keys'], now: () => NOW });
  try {
    const [a, b] = await Promise.all([
      fetch(`${server.baseUrl}/_matrix/key/v2/server`).then((r) => r.json()),
      fetch(`${server.baseUrl}/_matrix/key/v2/server/ed25519%3Atest`).then((r) => r.json()),
    ]);
    assert.deepEqual(b, a);
  } finally {
    await server.close();
  }
});

test('every current key is published and signs; old keys are listed with their expiry', () => {
  const k1 = generateSigningKey('one');
  const k2 = generateSigningKey('two');
  const config = testConfig({
    serverName: 'multi.example.org',
    oldSigningKeys: { 'ed25519:old': { key: 'T2xkS2V5UHVibGljS2V5Qnl0ZXNBcmVIZXJlMTIzNDU', expiredTs: 1_600_000_000_000 } },
  });
  const doc = serverKeysDocument(config, [k1, k2], NOW);
  assertMatchesSpec('server-server', 'GET', '/_matrix/key/v2/server', 200, doc);
  assert.deepEqual(Object.keys(doc.verify_keys).sort(), ['ed25519:one', 'ed25519:two']);
  assert.deepEqual(doc.old_verify_keys, {
    'ed25519:old': { key: 'T2xkS2V5UHVibGljS2V5Qnl0ZXNBcmVIZXJlMTIzNDU', expired_ts: 1_600_000_000_000 },
  });
  for (const k of [k1, k2]) assert.ok(verifyJsonSignature(doc, 'multi.example.org', k.keyId, k.publicKeyBase64), k.keyId);
});

test('valid_until_ts never promises more than seven days', () => {
  const config = testConfig({ keyRefreshIntervalMs: 30 * 24 * 3_600_000 });
  const doc = serverKeysDocument(config, [generateSigningKey('x')], NOW);
  assert.equal(doc.valid_until_ts, NOW + MAX_KEY_VALIDITY_MS);
});

test('without a signing key the endpoint fails as a 500 M_UNKNOWN', async () => {
  const server = await startHttpServer({ resources: ['keys'], signingKeys: [] });
  try {
    const res = await fetch(`${server.baseUrl}/_matrix/key/v2/server`);
    assert.equal(res.status, 500);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.errcode, 'M_UNKNOWN');
    assert.doesNotMatch(JSON.stringify(body), /signing key/);
  } finally {
    await server.close();
  }
});
