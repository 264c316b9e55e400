import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signJson } from '../../../src/crypto/index.js';
import { describeStorage } from '../../helpers/storage.js';
import { e2eHarness, makeCrossSigning, makeDevice, requester, SERVER } from './fixtures.js';

const ALICE = `@alice:${SERVER}`;
const BOB = `@bob:${SERVER}`;
const CAROL = `@carol:${SERVER}`;

const rejectsWith = (errcode: string) => (err: unknown) => (err as { errcode?: string }).errcode === errcode;

describeStorage('e2e cross-signing', (h) => {
  test('the first upload needs no UIA, an identical re-upload neither, a replacement does (appservices never)', async () => {
    const storage = await h.open();
    const { service, notices } = e2eHarness(storage);
    const me = requester(ALICE);
    const cs = makeCrossSigning(ALICE);
    assert.equal(await service.crossSigningUploadNeedsAuth(me, cs.body), false);
    await service.uploadCrossSigningKeys(me, cs.body);
    assert.equal(notices.filter((n) => n.stream === 'device_lists').length, 1);
    assert.equal(await service.crossSigningUploadNeedsAuth(me, cs.body), false);
    assert.equal(await service.crossSigningUploadNeedsAuth(me, { master_key: cs.body.master_key }), false);
    const other = makeCrossSigning(ALICE);
    assert.equal(await service.crossSigningUploadNeedsAuth(me, other.body), true);
    assert.equal(await service.crossSigningUploadNeedsAuth({ ...me, appserviceId: 'bridge' }, other.body), false);
    await service.uploadCrossSigningKeys(me, other.body);
    const q = await service.queryKeys(requester(BOB), { [ALICE]: [] }, 1000);
    assert.deepEqual(q.master_keys[ALICE], other.body.master_key);
  });

  test('sub-keys must be signed by the master key (the uploaded or the stored one)', async () => {
    const storage = await h.open();
    const { service } = e2eHarness(storage);
    const me = requester(ALICE);
    const cs = makeCrossSigning(ALICE);
    await assert.rejects(service.uploadCrossSigningKeys(me, { self_signing_key: cs.body.self_signing_key }), rejectsWith('M_MISSING_PARAM'));
    const foreign = makeCrossSigning(ALICE);
    await assert.rejects(
      service.uploadCrossSigningKeys(me, { master_key: cs.body.master_key, self_signing_key: foreign.body.self_signing_key }),
      rejectsWith('M_INVALID_SIGNATURE'),
    );
    await service.uploadCrossSigningKeys(me, { master_key: cs.body.master_key });
    await service.uploadCrossSigningKeys(me, { self_signing_key: cs.body.self_signing_key });
    assert.equal((await storage.e2e.getCrossSigningKeys(ALICE)).size, 2);
  });

  test('malformed keys: wrong user, wrong usage, key id not matching the key, key equal to a device id', async () => {
    const storage = await h.open();
    const { service } = e2eHarness(storage);
    const me = requester(ALICE);
    const cs = makeCrossSigning(ALICE);
    const mk = cs.body.master_key;
    await assert.rejects(service.uploadCrossSigningKeys(me, { master_key: { ...mk, user_id: BOB } }), rejectsWith('M_INVALID_PARAM'));
    await assert.rejects(service.uploadCrossSigningKeys(me, { master_key: { ...mk, usage: ['self_signing'] } }), rejectsWith('M_INVALID_PARAM'));
    await assert.rejects(service.uploadCrossSigningKeys(me, { master_key: { ...mk, keys: { 'ed25519:abc': 'def' } } }), rejectsWith('M_INVALID_PARAM'));
    await storage.accounts.ensureDevice(ALICE, cs.master.publicKeyBase64, null, 1);
    await assert.rejects(service.uploadCrossSigningKeys(me, { master_key: mk }), rejectsWith('M_FORBIDDEN'));
  });

  test('signatures: own device by the self-signing key, own master by a device, another user by the user-signing key', async () => {
    const storage = await h.open();
    const { service } = e2eHarness(storage);
    await storage.accounts.ensureDevice(ALICE, 'A1', null, 1);
    const dev = makeDevice(ALICE, 'A1');
    await service.uploadKeys(requester(ALICE, 'A1'), { device_keys: dev.deviceKeys });
    const alice = makeCrossSigning(ALICE);
    const bob = makeCrossSigning(BOB);
    await service.uploadCrossSigningKeys(requester(ALICE, 'A1'), alice.body);
    await service.uploadCrossSigningKeys(requester(BOB), bob.body);

    const masterBySelfDevice = signJson(alice.body.master_key, ALICE, dev.key);
    const bobMasterSigned = signJson(bob.body.master_key, ALICE, alice.userSigning);
    const forged = { ...signJson(dev.deviceKeys, ALICE, alice.selfSigning) };
    const res = await service.uploadSignatures(requester(ALICE, 'A1'), {
      [ALICE]: {
        A1: signJson(dev.deviceKeys, ALICE, alice.selfSigning),
        [alice.master.publicKeyBase64]: masterBySelfDevice,
        UNKNOWN: forged,
      },
      [BOB]: { [bob.master.publicKeyBase64]: bobMasterSigned },
    });
    assert.deepEqual(Object.keys(res.failures), [ALICE]);
    assert.equal(res.failures[ALICE]?.UNKNOWN?.errcode, 'M_NOT_FOUND');

    const byAlice = await service.queryKeys(requester(ALICE, 'A1'), { [ALICE]: [], [BOB]: [] }, 1000);
    const masterSigs = byAlice.master_keys[ALICE]?.signatures as Record<string, Record<string, string>>;
    assert.ok(masterSigs[ALICE]?.['ed25519:A1'], 'the device signature on the master key is served');
    const bobSigs = byAlice.master_keys[BOB]?.signatures as Record<string, Record<string, string>> | undefined;
    assert.ok(bobSigs?.[ALICE]?.[alice.userSigning.keyId], 'alice sees her signature on bob');
    const byCarol = await service.queryKeys(requester(CAROL), { [BOB]: [] }, 1000);
    const carolView = byCarol.master_keys[BOB]?.signatures as Record<string, unknown> | undefined;
    assert.equal(carolView?.[ALICE], undefined, 'carol does not see whom alice verified');
  });

  test('bad signatures and altered objects are reported per key', async () => {
    const storage = await h.open();
    const { service } = e2eHarness(storage);
    const dev = makeDevice(ALICE, 'A1');
    await service.uploadKeys(requester(ALICE, 'A1'), { device_keys: dev.deviceKeys });
    const alice = makeCrossSigning(ALICE);
    await service.uploadCrossSigningKeys(requester(ALICE, 'A1'), alice.body);
    const wrongKey = makeCrossSigning(ALICE);
    const altered = signJson({ ...dev.deviceKeys, algorithms: [] }, ALICE, alice.selfSigning);
    const res = await service.uploadSignatures(requester(ALICE, 'A1'), {
      [ALICE]: { A1: signJson(dev.deviceKeys, ALICE, wrongKey.selfSigning) },
    });
    assert.equal(res.failures[ALICE]?.A1?.errcode, 'M_INVALID_SIGNATURE');
    const res2 = await service.uploadSignatures(requester(ALICE, 'A1'), { [ALICE]: { A1: altered } });
    assert.equal(res2.failures[ALICE]?.A1?.errcode, 'M_INVALID_SIGNATURE');
    const res3 = await service.uploadSignatures(requester(ALICE, 'A1'), { [BOB]: { whatever: {} } });
    assert.equal(res3.failures[BOB]?.whatever?.errcode, 'M_NOT_FOUND');
  });
});
