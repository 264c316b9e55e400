import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../../helpers/storage.js';
import { keepExistingRoomKey } from '../../../src/users/e2e/index.js';
import { e2eHarness, requester, SERVER } from './fixtures.js';

const ALICE = `@alice:${SERVER}`;
const ALG = 'm.megolm_backup.v1.curve25519-aes-sha2';
const ROOM = `!room:${SERVER}`;

const data = (fmi: number, fc: number, verified: boolean, tag = 'x') => ({
  first_message_index: fmi,
  forwarded_count: fc,
  is_verified: verified,
  session_data: { ciphertext: tag },
});

test('replacement rule: verified first, then lower first_message_index, then lower forwarded_count', () => {
  const k = (isVerified: boolean, firstMessageIndex: number, forwardedCount: number) => ({ isVerified, firstMessageIndex, forwardedCount, sessionData: {} });
  assert.equal(keepExistingRoomKey(k(true, 9, 9), k(false, 0, 0)), true);
  assert.equal(keepExistingRoomKey(k(false, 0, 0), k(true, 9, 9)), false);
  assert.equal(keepExistingRoomKey(k(false, 1, 9), k(false, 2, 0)), true);
  assert.equal(keepExistingRoomKey(k(false, 2, 0), k(false, 1, 9)), false);
  assert.equal(keepExistingRoomKey(k(true, 1, 1), k(true, 1, 2)), true);
  assert.equal(keepExistingRoomKey(k(true, 1, 2), k(true, 1, 1)), false);
  assert.equal(keepExistingRoomKey(k(true, 1, 1), k(true, 1, 1)), true);
});

describeStorage('e2e key backup service', (h) => {
  test('versions: create, read the current, update auth_data, delete; errors as the spec says', async () => {
    const { service } = e2eHarness(await h.open());
    const me = requester(ALICE);
    await assert.rejects(service.getBackupVersion(me), (e: { errcode?: string; status?: number }) => e.errcode === 'M_NOT_FOUND' && e.status === 404);
    const { version } = await service.createBackupVersion(me, ALG, { public_key: 'pk' });
    assert.equal(typeof version, 'string');
    assert.deepEqual(await service.getBackupVersion(me), { algorithm: ALG, auth_data: { public_key: 'pk' }, count: 0, etag: '0', version });
    await service.updateBackupVersion(me, version, { algorithm: ALG, auth_data: { public_key: 'pk2' }, version });
    assert.deepEqual((await service.getBackupVersion(me, version)).auth_data, { public_key: 'pk2' });
    await assert.rejects(service.updateBackupVersion(me, version, { algorithm: 'other', auth_data: {} }), (e: { errcode?: string }) => e.errcode === 'M_INVALID_PARAM');
    await assert.rejects(service.updateBackupVersion(me, version, { algorithm: ALG, auth_data: {}, version: '999' }), (e: { errcode?: string }) => e.errcode === 'M_INVALID_PARAM');
    await assert.rejects(service.getBackupVersion(me, 'abc'), (e: { errcode?: string }) => e.errcode === 'M_NOT_FOUND');
    await service.deleteBackupVersion(me, version);
    await service.deleteBackupVersion(me, version); // already deleted: still fine
    await assert.rejects(service.deleteBackupVersion(me, '77'), (e: { errcode?: string }) => e.errcode === 'M_NOT_FOUND');
    await assert.rejects(service.getBackupVersion(me, version), (e: { errcode?: string }) => e.errcode === 'M_NOT_FOUND');
  });

  test('keys: stored in the current version only; etag and count move with real changes', async () => {
    const { service } = e2eHarness(await h.open());
    const me = requester(ALICE);
    const { version: old } = await service.createBackupVersion(me, ALG, {});
    const { version } = await service.createBackupVersion(me, ALG, {});
    await assert.rejects(
      service.putRoomKeys(me, old, { [ROOM]: { sessions: { s: data(0, 0, false) } } }),
      (e: { errcode?: string; status?: number; extra?: Record<string, unknown> }) =>
        e.errcode === 'M_WRONG_ROOM_KEYS_VERSION' && e.status === 403 && e.extra?.current_version === version,
    );
    let r = await service.putRoomKeys(me, version, { [ROOM]: { sessions: { s1: data(3, 0, false, 'a'), s2: data(0, 0, false) } } });
    assert.deepEqual(r, { etag: '1', count: 2 });
    r = await service.putRoomKeys(me, version, { [ROOM]: { sessions: { s1: data(5, 0, false, 'worse') } } });
    assert.deepEqual(r, { etag: '1', count: 2 });
    r = await service.putRoomKeys(me, version, { [ROOM]: { sessions: { s1: data(2, 0, false, 'better') } } });
    assert.equal(r.etag, '2');
    assert.deepEqual(await service.getRoomKey(me, version, ROOM, 's1'), data(2, 0, false, 'better'));
    assert.deepEqual(Object.keys((await service.getRoomKeysOfRoom(me, version, ROOM)).sessions).sort(), ['s1', 's2']);
    assert.deepEqual(await service.getRoomKeysOfRoom(me, version, '!other:x'), { sessions: {} });
    assert.deepEqual(Object.keys((await service.getAllRoomKeys(me, version)).rooms), [ROOM]);
    await assert.rejects(service.getRoomKey(me, version, ROOM, 'nope'), (e: { errcode?: string }) => e.errcode === 'M_NOT_FOUND');
    assert.deepEqual(await service.deleteRoomKeys(me, version, ROOM, 's2'), { etag: '3', count: 1 });
    assert.deepEqual(await service.deleteRoomKeys(me, version), { etag: '4', count: 0 });
    const info = await service.getBackupVersion(me);
    assert.equal(info.count, 0);
    assert.equal(info.etag, '4');
    await assert.rejects(service.getAllRoomKeys(me, '12345'), (e: { errcode?: string }) => e.errcode === 'M_NOT_FOUND');
  });
});
