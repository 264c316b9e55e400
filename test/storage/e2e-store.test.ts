import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../helpers/storage.js';
import { keepExistingRoomKey } from '../../src/users/e2e/index.js';

const A = '@alice:test';
const B = '@bob:test';

describeStorage('e2e store', (h) => {
  test('device keys are stored per device, replaced, and each write records a device-list change', async () => {
    const { e2e } = await h.open();
    await e2e.setDeviceKeys(A, 'D1', { user_id: A, device_id: 'D1', keys: { 'ed25519:D1': 'x' } }, 1, 1000);
    await e2e.setDeviceKeys(A, 'D2', { user_id: A, device_id: 'D2' }, 2, 1000);
    await e2e.setDeviceKeys(A, 'D1', { user_id: A, device_id: 'D1', keys: { 'ed25519:D1': 'y' } }, 3, 1000);
    const all = await e2e.getDeviceKeys(A);
    assert.deepEqual([...all.keys()].sort(), ['D1', 'D2']);
    assert.deepEqual(all.get('D1')?.keys, { 'ed25519:D1': 'y' });
    assert.deepEqual([...(await e2e.getDeviceKeys(A, ['D2', 'nope'])).keys()], ['D2']);
    assert.deepEqual(await e2e.getDeviceListChanges(0, 3), new Set([A]));
    assert.deepEqual(await e2e.getDeviceListChanges(3, 3), new Set());
    assert.deepEqual(await e2e.getDeviceListChanges(0, 3, [B]), new Set());
  });

  test('one-time keys are claimed oldest first, each once, then the fallback key is handed out and marked used', async () => {
    const { e2e } = await h.open();
    await e2e.addOneTimeKeys(A, 'D', [{ algorithm: 'signed_curve25519', keyId: 'k2', key: { key: 'second' } }], 1);
    await e2e.addOneTimeKeys(A, 'D', [{ algorithm: 'signed_curve25519', keyId: 'k1', key: { key: 'third' } }], 2);
    await e2e.addOneTimeKeys(A, 'D', [{ algorithm: 'curve25519', keyId: 'c', key: 'plain' }], 3);
    assert.deepEqual(await e2e.countOneTimeKeys(A, 'D'), { signed_curve25519: 2, curve25519: 1 });
    await e2e.setFallbackKeys(A, 'D', [{ algorithm: 'signed_curve25519', keyId: 'fb', key: { key: 'fallback', fallback: true } }]);
    assert.deepEqual(await e2e.getUnusedFallbackKeyTypes(A, 'D'), ['signed_curve25519']);

    assert.equal((await e2e.claimKey(A, 'D', 'signed_curve25519'))?.keyId, 'k2');
    assert.equal((await e2e.claimKey(A, 'D', 'signed_curve25519'))?.keyId, 'k1');
    assert.deepEqual(await e2e.claimKey(A, 'D', 'curve25519'), { algorithm: 'curve25519', keyId: 'c', key: 'plain' });
    const fb = await e2e.claimKey(A, 'D', 'signed_curve25519');
    assert.equal(fb?.keyId, 'fb');
    assert.deepEqual(await e2e.getUnusedFallbackKeyTypes(A, 'D'), []);
    // The fallback key keeps being handed out until replaced.
    assert.equal((await e2e.claimKey(A, 'D', 'signed_curve25519'))?.keyId, 'fb');
    assert.equal(await e2e.claimKey(A, 'D', 'curve25519'), undefined);
    // Re-uploading the same fallback key does not make it look unused; a new one does.
    await e2e.setFallbackKeys(A, 'D', [{ algorithm: 'signed_curve25519', keyId: 'fb', key: { fallback: true, key: 'fallback' } }]);
    assert.deepEqual(await e2e.getUnusedFallbackKeyTypes(A, 'D'), []);
    await e2e.setFallbackKeys(A, 'D', [{ algorithm: 'signed_curve25519', keyId: 'fb2', key: { key: 'new' } }]);
    assert.deepEqual(await e2e.getUnusedFallbackKeyTypes(A, 'D'), ['signed_curve25519']);
  });

  test("a device's key counts are read once, then kept until an upload, a claim or the device's deletion changes them", async () => {
    const storage = await h.open();
    const { e2e } = storage;
    let statements = 0;
    const count = () => statements++;
    const otk = (id: string) => ({ algorithm: 'signed_curve25519', keyId: id, key: { key: id } });
    const counts = async () => ({ otk: await e2e.countOneTimeKeys(A, 'D1'), fallback: await e2e.getUnusedFallbackKeyTypes(A, 'D1') });
    storage.knex.on('query', count);
    try {
      await e2e.addOneTimeKeys(A, 'D1', [otk('k1'), otk('k2')], 1);
      await e2e.setFallbackKeys(A, 'D1', [{ algorithm: 'signed_curve25519', keyId: 'f', key: {} }]);
      statements = 0;
      assert.deepEqual(await counts(), { otk: { signed_curve25519: 2 }, fallback: ['signed_curve25519'] });
      assert.equal(statements, 2);
      assert.deepEqual(await counts(), { otk: { signed_curve25519: 2 }, fallback: ['signed_curve25519'] });
      assert.equal(statements, 2, 'the second sync is answered from memory');
      // Another device's upload leaves D1's counts alone.
      await e2e.addOneTimeKeys(A, 'D2', [otk('k9')], 1);
      statements = 0;
      await counts();
      assert.equal(statements, 0);
      await e2e.claimKey(A, 'D1', 'signed_curve25519');
      assert.deepEqual(await counts(), { otk: { signed_curve25519: 1 }, fallback: ['signed_curve25519'] });
      await e2e.claimKey(A, 'D1', 'signed_curve25519');
      await e2e.claimKey(A, 'D1', 'signed_curve25519'); // the fallback key: now used
      assert.deepEqual(await counts(), { otk: {}, fallback: [] });
      await e2e.setFallbackKeys(A, 'D1', [{ algorithm: 'signed_curve25519', keyId: 'g', key: {} }]);
      await e2e.addOneTimeKeys(A, 'D1', [otk('k3')], 2);
      assert.deepEqual(await counts(), { otk: { signed_curve25519: 1 }, fallback: ['signed_curve25519'] });
      // A claim running while the counts are read: the next read sees what the claim left.
      const reading = counts();
      await e2e.claimKey(A, 'D1', 'signed_curve25519');
      await reading;
      assert.deepEqual(await counts(), { otk: {}, fallback: ['signed_curve25519'] });
      await e2e.deleteDevices(A, ['D1'], 5);
      assert.deepEqual(await counts(), { otk: {}, fallback: [] });
    } finally {
      storage.knex.off('query', count);
    }
  });

  test('concurrent claims never hand out the same one-time key twice', async () => {
    const { e2e } = await h.open();
    const keys = Array.from({ length: 20 }, (_, i) => ({ algorithm: 'signed_curve25519', keyId: `k${i}`, key: { key: `v${i}` } }));
    await e2e.addOneTimeKeys(A, 'D', keys, 1);
    const claimed = await Promise.all(Array.from({ length: 25 }, () => e2e.claimKey(A, 'D', 'signed_curve25519')));
    const ids = claimed.flatMap((c) => (c ? [c.keyId] : []));
    assert.equal(ids.length, 20);
    assert.equal(new Set(ids).size, 20);
  });

  test('a one-time key id re-uploaded with the same content is ignored; with other content the batch is refused', async () => {
    const { e2e } = await h.open();
    await e2e.addOneTimeKeys(A, 'D', [{ algorithm: 'a', keyId: '1', key: { key: 'x', signatures: { s: 1 } } }], 1);
    const same = await e2e.addOneTimeKeys(A, 'D', [{ algorithm: 'a', keyId: '1', key: { signatures: { s: 1 }, key: 'x' } }], 2);
    assert.deepEqual(same.conflicts, []);
    const clash = await e2e.addOneTimeKeys(
      A,
      'D',
      [
        { algorithm: 'a', keyId: '2', key: 'fresh' },
        { algorithm: 'a', keyId: '1', key: 'different' },
      ],
      3,
    );
    assert.deepEqual(clash.conflicts, [{ algorithm: 'a', keyId: '1' }]);
    assert.deepEqual(await e2e.countOneTimeKeys(A, 'D'), { a: 1 });
  });

  test('deleting devices drops their keys, signatures and inbox and records a change', async () => {
    const { e2e } = await h.open();
    await e2e.setDeviceKeys(A, 'D', { device_id: 'D' }, 1, 1);
    await e2e.addOneTimeKeys(A, 'D', [{ algorithm: 'a', keyId: '1', key: 'k' }], 1);
    await e2e.setFallbackKeys(A, 'D', [{ algorithm: 'a', keyId: 'f', key: 'k' }]);
    await e2e.addSignatures([{ signerUserId: A, signerKeyId: 'ed25519:ssk', targetUserId: A, targetKeyId: 'D', signature: 's' }], [A], 2);
    await e2e.addToDeviceMessages({ userId: B, deviceId: 'X', txnId: 't' }, [{ userId: A, deviceId: 'D', message: { type: 'm' } }], 1, 1);
    await e2e.deleteDevices(A, ['D'], 3);
    assert.equal((await e2e.getDeviceKeys(A)).size, 0);
    assert.deepEqual(await e2e.countOneTimeKeys(A, 'D'), {});
    assert.equal(await e2e.claimKey(A, 'D', 'a'), undefined);
    assert.deepEqual(await e2e.getSignaturesOn(A, ['D']), []);
    assert.deepEqual(await e2e.getToDeviceMessages(A, 'D', 0, 10, 10), []);
    assert.deepEqual(await e2e.getDeviceListChanges(2, 3), new Set([A]));
  });

  test('cross-signing keys are replaced per type; signatures are read back per target', async () => {
    const { e2e } = await h.open();
    await e2e.setCrossSigningKeys(A, [{ keyType: 'master', publicKey: 'M1', key: { usage: ['master'] } }], 1, 1);
    await e2e.setCrossSigningKeys(A, [{ keyType: 'self_signing', publicKey: 'S', key: { usage: ['self_signing'] } }], 2, 1);
    await e2e.setCrossSigningKeys(A, [{ keyType: 'master', publicKey: 'M2', key: { usage: ['master'] } }], 3, 1);
    const keys = await e2e.getCrossSigningKeys(A);
    assert.equal(keys.get('master')?.publicKey, 'M2');
    assert.equal(keys.get('self_signing')?.publicKey, 'S');
    assert.equal(keys.get('user_signing'), undefined);
    const row = { signerUserId: B, signerKeyId: 'ed25519:usk', targetUserId: A, targetKeyId: 'M2', signature: 'one' };
    await e2e.addSignatures([row], [B], 4);
    await e2e.addSignatures([{ ...row, signature: 'two' }], [B], 5);
    assert.deepEqual(await e2e.getSignaturesOn(A, ['M2', 'other']), [{ ...row, signature: 'two' }]);
    assert.deepEqual(await e2e.getDeviceListChanges(3, 5), new Set([B]));
  });

  test('to-device messages: one send per transaction id, read in order with a limit, deleted up to a position', async () => {
    const { e2e } = await h.open();
    const sender = { userId: B, deviceId: 'BD', txnId: 't1' };
    assert.equal(await e2e.addToDeviceMessages(sender, [{ userId: A, deviceId: 'D', message: { n: 1 } }], 5, 1), true);
    assert.equal(await e2e.addToDeviceMessages(sender, [{ userId: A, deviceId: 'D', message: { n: 99 } }], 6, 1), false);
    await e2e.addToDeviceMessages({ ...sender, txnId: 't2' }, [{ userId: A, deviceId: 'D', message: { n: 2 } }], 7, 1);
    // The same txn id from another device of the sender is another transaction.
    await e2e.addToDeviceMessages({ ...sender, deviceId: 'BD2' }, [{ userId: A, deviceId: 'D', message: { n: 3 } }], 8, 1);
    assert.deepEqual(await e2e.getToDeviceMessages(A, 'D', 0, 100, 10), [
      { streamId: 5, message: { n: 1 } },
      { streamId: 7, message: { n: 2 } },
      { streamId: 8, message: { n: 3 } },
    ]);
    assert.deepEqual(await e2e.getToDeviceMessages(A, 'D', 0, 7, 10), [
      { streamId: 5, message: { n: 1 } },
      { streamId: 7, message: { n: 2 } },
    ]);
    assert.deepEqual((await e2e.getToDeviceMessages(A, 'D', 5, 100, 1)).map((m) => m.streamId), [7]);
    assert.equal(await e2e.deleteToDeviceMessages(A, 'D', 7), 2);
    assert.deepEqual((await e2e.getToDeviceMessages(A, 'D', 0, 100, 10)).map((m) => m.streamId), [8]);
  });

  test('the to-device stream id survives deleting every inbox row (ids are never reused after a restart)', async () => {
    const db = await h.createDatabase();
    const first = await db.open();
    const gen = await first.streamIdGenerator('to_device_sends', 'stream_id');
    const id = await gen.withNext((n) =>
      first.e2e.addToDeviceMessages({ userId: B, deviceId: 'X', txnId: 't' }, [{ userId: A, deviceId: 'D', message: {} }], n, 1).then(() => n),
    );
    await first.e2e.deleteToDeviceMessages(A, 'D', id);
    await first.close();
    const second = await db.open();
    const gen2 = await second.streamIdGenerator('to_device_sends', 'stream_id');
    assert.ok(gen2.getNext().id > id);
  });

  test('key backup: versions count up and are never reused; keys follow the replacement rules with etag and count', async () => {
    const { e2e } = await h.open();
    assert.equal(await e2e.getBackupVersion(A), undefined);
    const v1 = await e2e.createBackupVersion(A, 'alg', { public_key: 'p1' });
    const v2 = await e2e.createBackupVersion(A, 'alg', { public_key: 'p2' });
    assert.equal(v2, v1 + 1);
    assert.equal((await e2e.getBackupVersion(A))?.version, v2);
    assert.equal(await e2e.deleteBackupVersion(A, v2), true);
    assert.equal((await e2e.getBackupVersion(A))?.version, v1);
    assert.equal(await e2e.createBackupVersion(B, 'alg', {}), 1);
    const v3 = await e2e.createBackupVersion(A, 'alg', {});
    assert.equal(v3, v2 + 1);
    assert.equal(await e2e.updateBackupVersion(A, v3, { public_key: 'new' }), true);
    assert.deepEqual((await e2e.getBackupVersion(A, v3))?.authData, { public_key: 'new' });
    assert.equal(await e2e.updateBackupVersion(A, v2, {}), false);

    const key = (fmi: number, fc: number, verified: boolean, tag: string) => ({
      roomId: '!r:test',
      sessionId: 's1',
      firstMessageIndex: fmi,
      forwardedCount: fc,
      isVerified: verified,
      sessionData: { tag },
    });
    let r = await e2e.putRoomKeys(A, v3, [key(5, 1, false, 'a')], keepExistingRoomKey);
    assert.deepEqual(r, { etag: 1, count: 1 });
    r = await e2e.putRoomKeys(A, v3, [key(6, 0, false, 'worse index')], keepExistingRoomKey);
    assert.deepEqual(r, { etag: 1, count: 1 });
    r = await e2e.putRoomKeys(A, v3, [key(9, 9, true, 'verified')], keepExistingRoomKey);
    assert.equal(r.etag, 2);
    r = await e2e.putRoomKeys(A, v3, [key(0, 0, false, 'unverified')], keepExistingRoomKey);
    assert.equal(r.etag, 2);
    r = await e2e.putRoomKeys(A, v3, [key(9, 3, true, 'fewer forwards'), { ...key(1, 1, false, 'other'), sessionId: 's2' }], keepExistingRoomKey);
    assert.deepEqual(r, { etag: 3, count: 2 });
    const stored = await e2e.getRoomKeys(A, v3, '!r:test', 's1');
    assert.deepEqual(stored[0]?.sessionData, { tag: 'fewer forwards' });
    assert.equal(stored[0]?.isVerified, true);
    assert.equal((await e2e.getRoomKeys(A, v3)).length, 2);
    assert.deepEqual(await e2e.deleteRoomKeys(A, v3, '!r:test', 's2'), { etag: 4, count: 1 });
    assert.deepEqual(await e2e.deleteRoomKeys(A, v3, '!nothing:test'), { etag: 4, count: 1 });
    assert.equal(await e2e.deleteBackupVersion(A, v3), true);
    assert.equal(await e2e.countRoomKeys(A, v3), 0);
    assert.equal(await e2e.deleteBackupVersion(A, 999), false);
  });
});
