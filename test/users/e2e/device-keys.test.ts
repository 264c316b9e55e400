import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signJson } from '../../../src/crypto/index.js';
import { describeStorage } from '../../helpers/storage.js';
import { e2eHarness, makeCrossSigning, makeDevice, requester, SERVER, signedOneTimeKey } from './fixtures.js';

const ALICE = `@alice:${SERVER}`;
const BOB = `@bob:${SERVER}`;

function rejectsWith(errcode: string) {
  return (err: unknown) => (err as { errcode?: string }).errcode === errcode;
}

describeStorage('e2e device keys', (h) => {
  test('signed device keys of the own device are stored, announced on the device-list stream, and served with the display name', async () => {
    const storage = await h.open();
    const { service, notices } = e2eHarness(storage);
    await storage.accounts.ensureDevice(ALICE, 'A1', 'Alice phone', 1);
    const dev = makeDevice(ALICE, 'A1');
    const res = await service.uploadKeys(requester(ALICE, 'A1'), { device_keys: dev.deviceKeys });
    assert.deepEqual(res, { one_time_key_counts: { signed_curve25519: 0 } });
    assert.equal(notices.length, 1);
    assert.equal(notices[0]?.stream, 'device_lists');
    assert.deepEqual(notices[0]?.userIds, [ALICE]);

    const q = await service.queryKeys(requester(BOB, 'B1'), { [ALICE]: [] }, 1000);
    assert.deepEqual(q.device_keys[ALICE]?.A1, { ...dev.deviceKeys, unsigned: { device_display_name: 'Alice phone' } });
    assert.deepEqual(q.failures, {});
    // Re-uploading the identical keys changes nothing and announces nothing.
    await service.uploadKeys(requester(ALICE, 'A1'), { device_keys: dev.deviceKeys });
    assert.equal(notices.length, 1);
  });

  test('device keys for another user or device, unsigned, or replacing the identity keys are refused', async () => {
    const storage = await h.open();
    const { service } = e2eHarness(storage);
    const dev = makeDevice(ALICE, 'A1');
    await assert.rejects(service.uploadKeys(requester(BOB, 'A1'), { device_keys: dev.deviceKeys }), rejectsWith('M_INVALID_PARAM'));
    await assert.rejects(service.uploadKeys(requester(ALICE, 'OTHER'), { device_keys: dev.deviceKeys }), rejectsWith('M_INVALID_PARAM'));
    const tampered = { ...dev.deviceKeys, algorithms: ['m.megolm.v1.aes-sha2'] };
    await assert.rejects(service.uploadKeys(requester(ALICE, 'A1'), { device_keys: tampered }), rejectsWith('M_INVALID_SIGNATURE'));
    await assert.rejects(service.uploadKeys(requester(ALICE, null), { device_keys: dev.deviceKeys }), rejectsWith('M_INVALID_PARAM'));

    await service.uploadKeys(requester(ALICE, 'A1'), { device_keys: dev.deviceKeys });
    const impostor = makeDevice(ALICE, 'A1');
    await assert.rejects(service.uploadKeys(requester(ALICE, 'A1'), { device_keys: impostor.deviceKeys }), rejectsWith('M_INVALID_PARAM'));
  });

  test('one-time keys are counted per algorithm, claimed in upload order, then the fallback key is used', async () => {
    const storage = await h.open();
    const { service } = e2eHarness(storage);
    const dev = makeDevice(ALICE, 'A1');
    const me = requester(ALICE, 'A1');
    await service.uploadKeys(me, { one_time_keys: { 'signed_curve25519:AAAA': signedOneTimeKey(dev, 'first') } });
    const res = await service.uploadKeys(me, {
      one_time_keys: { 'signed_curve25519:AAAB': signedOneTimeKey(dev, 'second') },
      fallback_keys: { 'signed_curve25519:FFFF': signedOneTimeKey(dev, 'fallback', true) },
    });
    assert.deepEqual(res.one_time_key_counts, { signed_curve25519: 2 });
    assert.deepEqual(await service.unusedFallbackKeyTypes(ALICE, 'A1'), ['signed_curve25519']);

    const claim = () => service.claimKeys(requester(BOB, 'B1'), { [ALICE]: { A1: 'signed_curve25519' } }, 1000);
    const one = await claim();
    assert.deepEqual(Object.keys(one.one_time_keys[ALICE]?.A1 ?? {}), ['signed_curve25519:AAAA']);
    assert.deepEqual(Object.keys((await claim()).one_time_keys[ALICE]?.A1 ?? {}), ['signed_curve25519:AAAB']);
    assert.deepEqual(Object.keys((await claim()).one_time_keys[ALICE]?.A1 ?? {}), ['signed_curve25519:FFFF']);
    assert.deepEqual(await service.unusedFallbackKeyTypes(ALICE, 'A1'), []);
    assert.deepEqual(await service.oneTimeKeyCounts(ALICE, 'A1'), { signed_curve25519: 0 });
    // Unknown devices and users are simply absent.
    const none = await service.claimKeys(requester(BOB, 'B1'), { [ALICE]: { NOPE: 'signed_curve25519' } }, 1000);
    assert.deepEqual(none, { one_time_keys: {}, failures: {} });
  });

  test('a one-time key id re-used with other content is refused', async () => {
    const storage = await h.open();
    const { service } = e2eHarness(storage);
    const dev = makeDevice(ALICE, 'A1');
    const me = requester(ALICE, 'A1');
    await service.uploadKeys(me, { one_time_keys: { 'signed_curve25519:AAAA': signedOneTimeKey(dev, 'x') } });
    await service.uploadKeys(me, { one_time_keys: { 'signed_curve25519:AAAA': signedOneTimeKey(dev, 'x') } });
    await assert.rejects(
      service.uploadKeys(me, { one_time_keys: { 'signed_curve25519:AAAA': signedOneTimeKey(dev, 'y') } }),
      rejectsWith('M_INVALID_PARAM'),
    );
    await assert.rejects(service.uploadKeys(me, { one_time_keys: { nocolon: 'k' } }), rejectsWith('M_INVALID_PARAM'));
  });

  test('remote users are reported under failures while federation is unavailable', async () => {
    const storage = await h.open();
    const { service } = e2eHarness(storage);
    const q = await service.queryKeys(requester(ALICE), { '@carol:remote.example': [] }, 1000);
    assert.ok(q.failures['remote.example']);
    const c = await service.claimKeys(requester(ALICE), { '@carol:remote.example': { X: 'signed_curve25519' } }, 1000);
    assert.ok(c.failures['remote.example']);
  });

  test('query serves keys of existing devices only, all or the ones asked for', async () => {
    const storage = await h.open();
    const { service } = e2eHarness(storage);
    for (const id of ['A1', 'A2', 'GONE']) {
      await storage.accounts.ensureDevice(ALICE, id, null, 1);
      await service.uploadKeys(requester(ALICE, id), { device_keys: makeDevice(ALICE, id).deviceKeys });
    }
    await storage.accounts.deleteDevices(ALICE, ['GONE']);
    const all = await service.queryKeys(requester(BOB), { [ALICE]: [] }, 1000);
    assert.deepEqual(Object.keys(all.device_keys[ALICE] ?? {}).sort(), ['A1', 'A2']);
    assert.deepEqual(all.device_keys[ALICE]?.A1?.unsigned, {});
    const some = await service.queryKeys(requester(BOB), { [ALICE]: ['A2', 'nope'] }, 1000);
    assert.deepEqual(Object.keys(some.device_keys[ALICE] ?? {}), ['A2']);
    assert.deepEqual((await service.queryKeys(requester(BOB), { [BOB]: [] }, 1000)).device_keys, { [BOB]: {} });
  });

  test('deleting a device (reported by the accounts work) removes its keys and announces the change', async () => {
    const storage = await h.open();
    let listener: ((c: { userId: string; deleted?: readonly string[] }) => void | Promise<void>) | undefined;
    const { service, notices } = e2eHarness(storage, { deviceEvents: { onDeviceChange: (l) => ((listener = l), () => undefined) } });
    const dev = makeDevice(ALICE, 'A1');
    await service.uploadKeys(requester(ALICE, 'A1'), { device_keys: dev.deviceKeys, one_time_keys: { 'a:1': 'k' } });
    await listener?.({ userId: ALICE, deleted: ['A1'] });
    assert.equal((await storage.e2e.getDeviceKeys(ALICE)).size, 0);
    assert.deepEqual(await service.oneTimeKeyCounts(ALICE, 'A1'), { signed_curve25519: 0 });
    assert.equal(notices.filter((n) => n.stream === 'device_lists').length, 2);
    // The same device id may now upload fresh identity keys (a new login reusing the id).
    await service.uploadKeys(requester(ALICE, 'A1'), { device_keys: makeDevice(ALICE, 'A1').deviceKeys });
  });

  test('query returns cross-signing keys; the user-signing key only to its owner; uploaded signatures are merged', async () => {
    const storage = await h.open();
    const { service } = e2eHarness(storage);
    await storage.accounts.ensureDevice(ALICE, 'A1', null, 1);
    const dev = makeDevice(ALICE, 'A1');
    await service.uploadKeys(requester(ALICE, 'A1'), { device_keys: dev.deviceKeys });
    const cs = makeCrossSigning(ALICE);
    await service.uploadCrossSigningKeys(requester(ALICE, 'A1'), cs.body);
    const signedDevice = signJson(dev.deviceKeys, ALICE, cs.selfSigning);
    const r = await service.uploadSignatures(requester(ALICE, 'A1'), { [ALICE]: { A1: signedDevice } });
    assert.deepEqual(r.failures, {});

    const byBob = await service.queryKeys(requester(BOB), { [ALICE]: [] }, 1000);
    assert.deepEqual(byBob.master_keys[ALICE], cs.body.master_key);
    assert.deepEqual(byBob.self_signing_keys[ALICE], cs.body.self_signing_key);
    assert.deepEqual(byBob.user_signing_keys, {});
    const sigs = byBob.device_keys[ALICE]?.A1?.signatures as Record<string, Record<string, string>>;
    assert.ok(sigs[ALICE]?.[cs.selfSigning.keyId]);
    assert.ok(sigs[ALICE]?.['ed25519:A1']);
    const byAlice = await service.queryKeys(requester(ALICE, 'A1'), { [ALICE]: [] }, 1000);
    assert.deepEqual(byAlice.user_signing_keys[ALICE], cs.body.user_signing_key);
  });
});
