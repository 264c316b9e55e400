import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../../helpers/storage.js';
import type { StoredKeyResponse, StoredServerKey } from '../../../src/storage/interfaces/index.js';

// Far enough out (year 2100) to show timestamps survive as numbers, not 32-bit ints or strings.
const YEAR_2100 = 4_102_444_800_000;

function key(overrides: Partial<StoredServerKey> = {}): StoredServerKey {
  return {
    serverName: 'remote.example',
    keyId: 'ed25519:a1',
    verifyKey: 'l8Hft5qXKn1vfHrg3p4+W8gELQVo8N13JkluMfmn2sQ',
    validUntilTs: YEAR_2100,
    expiredTs: null,
    fetchedFrom: 'remote.example',
    fetchedAt: 1_700_000_000_000,
    ...overrides,
  };
}

function response(overrides: Partial<StoredKeyResponse> = {}): StoredKeyResponse {
  return {
    serverName: 'remote.example',
    fetchedFrom: 'remote.example',
    validUntilTs: YEAR_2100,
    fetchedAt: 1_700_000_000_000,
    json: {
      server_name: 'remote.example',
      valid_until_ts: YEAR_2100,
      verify_keys: { 'ed25519:a1': { key: 'l8Hft5qXKn1vfHrg3p4+W8gELQVo8N13JkluMfmn2sQ' } },
      old_verify_keys: {},
      signatures: { 'remote.example': { 'ed25519:a1': 'c2lnbmF0dXJl' } },
      note: 'ünïcödé ✓',
    },
    ...overrides,
  };
}

describeStorage('server key store', (h) => {
  test('stores and returns a key unchanged', async () => {
    const { serverKeys } = await h.open();
    const stored = key({ expiredTs: 1_600_000_000_000, validUntilTs: 1_600_000_000_000, keyId: 'ed25519:old' });
    await serverKeys.storeKeys([stored]);
    assert.deepEqual(await serverKeys.getKey('remote.example', 'ed25519:old'), stored);
  });

  test('an unknown key or server gives nothing', async () => {
    const { serverKeys } = await h.open();
    await serverKeys.storeKeys([key()]);
    assert.equal(await serverKeys.getKey('remote.example', 'ed25519:nope'), null);
    assert.equal(await serverKeys.getKey('other.example', 'ed25519:a1'), null);
    assert.deepEqual(await serverKeys.getKeys('other.example'), []);
  });

  test('storing the same key id again replaces it', async () => {
    const { serverKeys } = await h.open();
    await serverKeys.storeKeys([key()]);
    const refreshed = key({ validUntilTs: YEAR_2100 + 1000, fetchedFrom: 'notary.example', fetchedAt: 1_800_000_000_000 });
    await serverKeys.storeKeys([refreshed]);
    assert.deepEqual(await serverKeys.getKeys('remote.example'), [refreshed]);
  });

  test('lists all keys of a server, or only the requested ids, ordered by key id', async () => {
    const { serverKeys } = await h.open();
    const keys = [key({ keyId: 'ed25519:c' }), key({ keyId: 'ed25519:a' }), key({ keyId: 'ed25519:b' }), key({ serverName: 'x.example' })];
    await serverKeys.storeKeys(keys);
    assert.deepEqual((await serverKeys.getKeys('remote.example')).map((k) => k.keyId), ['ed25519:a', 'ed25519:b', 'ed25519:c']);
    assert.deepEqual((await serverKeys.getKeys('remote.example', ['ed25519:c', 'ed25519:a', 'ed25519:zz'])).map((k) => k.keyId), [
      'ed25519:a',
      'ed25519:c',
    ]);
    assert.deepEqual(await serverKeys.getKeys('remote.example', []), []);
  });

  test('stores many keys in one call', async () => {
    const { serverKeys } = await h.open();
    const keys = Array.from({ length: 5000 }, (_, i) => key({ keyId: `ed25519:k${String(i).padStart(5, '0')}` }));
    await serverKeys.storeKeys(keys);
    assert.equal((await serverKeys.getKeys('remote.example')).length, 5000);
  });

  test('key responses round-trip per (server, fetched from), newest validity first', async () => {
    const { serverKeys } = await h.open();
    const direct = response();
    const viaNotary = response({ fetchedFrom: 'notary.example', validUntilTs: YEAR_2100 + 5 });
    await serverKeys.storeKeyResponse(direct);
    await serverKeys.storeKeyResponse(viaNotary);
    await serverKeys.storeKeyResponse(response({ serverName: 'elsewhere.example' }));
    assert.deepEqual(await serverKeys.getKeyResponses('remote.example'), [viaNotary, direct]);

    const replaced = response({ validUntilTs: YEAR_2100 + 10, json: { server_name: 'remote.example', valid_until_ts: YEAR_2100 + 10 } });
    await serverKeys.storeKeyResponse(replaced);
    assert.deepEqual(await serverKeys.getKeyResponses('remote.example'), [replaced, viaNotary]);
  });

  test('pruning drops keys whose expiry or validity ended before the cutoff and keeps the rest', async () => {
    const { serverKeys } = await h.open();
    const cutoff = 1_650_000_000_000;
    const current = key({ keyId: 'ed25519:current' });
    const lapsed = key({ keyId: 'ed25519:lapsed', validUntilTs: cutoff - 1 });
    const oldStillUseful = key({ keyId: 'ed25519:old_recent', validUntilTs: cutoff + 5, expiredTs: cutoff + 5 });
    const oldGone = key({ keyId: 'ed25519:old_gone', validUntilTs: cutoff - 5, expiredTs: cutoff - 5 });
    // The expiry wins over a later validity when both are set.
    const expiredButValidLater = key({ keyId: 'ed25519:revoked', validUntilTs: YEAR_2100, expiredTs: cutoff - 1 });
    const atCutoff = key({ keyId: 'ed25519:at_cutoff', validUntilTs: cutoff });
    await serverKeys.storeKeys([current, lapsed, oldStillUseful, oldGone, expiredButValidLater, atCutoff]);
    await serverKeys.storeKeyResponse(response({ validUntilTs: cutoff - 1 }));
    await serverKeys.storeKeyResponse(response({ fetchedFrom: 'notary.example' }));

    assert.deepEqual(await serverKeys.pruneExpired(cutoff), { keys: 3, responses: 1 });

    assert.deepEqual((await serverKeys.getKeys('remote.example')).map((k) => k.keyId), [
      'ed25519:at_cutoff',
      'ed25519:current',
      'ed25519:old_recent',
    ]);
    assert.deepEqual((await serverKeys.getKeyResponses('remote.example')).map((r) => r.fetchedFrom), ['notary.example']);
    assert.deepEqual(await serverKeys.pruneExpired(cutoff), { keys: 0, responses: 0 });
  });
});
