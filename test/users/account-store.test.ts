import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../helpers/storage.js';

// The AccountStore contract on both engines (SQLite always, Postgres with HS_TEST_POSTGRES).

describeStorage('account store', (h) => {
  test('users: create once, case-insensitive lookup, flags round-trip as booleans', async () => {
    const s = (await h.open()).accounts;
    assert.equal(await s.createUser({ userId: '@Alice:hs', passwordHash: 'h', createdTs: 5, admin: true, displayname: 'Alice' }), true);
    assert.equal(await s.createUser({ userId: '@Alice:hs', passwordHash: null, createdTs: 6 }), false);
    const u = await s.getUser('@Alice:hs');
    assert.deepEqual(u, {
      userId: '@Alice:hs', passwordHash: 'h', createdTs: 5, admin: true, deactivated: false, isGuest: false,
      userType: null, appserviceId: null, locked: false, suspended: false,
    });
    assert.equal((await s.findUsersCaseInsensitive('@alice:hs')).length, 1);
    assert.deepEqual(await s.getProfile('@Alice:hs'), { displayname: 'Alice', avatar_url: null, fields: {} });
    await s.setDeactivated('@Alice:hs', true);
    assert.equal((await s.getUser('@Alice:hs'))?.deactivated, true);
    assert.equal(await s.countUsers(), 1);
  });

  test('devices and tokens: deleting devices deletes their tokens', async () => {
    const s = (await h.open()).accounts;
    await s.createUser({ userId: '@b:hs', passwordHash: null, createdTs: 1 });
    assert.equal(await s.ensureDevice('@b:hs', 'D1', 'one', 1), true);
    assert.equal(await s.ensureDevice('@b:hs', 'D1', 'again', 2), false);
    await s.ensureDevice('@b:hs', 'D2', null, 1);
    const t1 = await s.insertAccessToken({ tokenHash: 'h1', userId: '@b:hs', deviceId: 'D1', validUntilTs: null, refreshTokenId: null, createdTs: 1 });
    await s.insertAccessToken({ tokenHash: 'h2', userId: '@b:hs', deviceId: 'D2', validUntilTs: 99, refreshTokenId: null, createdTs: 1 });
    const found = await s.findAccessToken('h1');
    assert.equal(found?.id, t1);
    assert.equal(found?.deviceId, 'D1');
    assert.equal((await s.findAccessToken('h2'))?.validUntilTs, 99);
    assert.deepEqual(await s.deleteDevices('@b:hs', null, 'D1'), ['D2']);
    assert.equal(await s.findAccessToken('h2'), null);
    assert.notEqual(await s.findAccessToken('h1'), null);
    assert.equal((await s.getDevice('@b:hs', 'D1'))?.displayName, 'one');
    await s.recordDeviceSeen('@b:hs', 'D1', 77, '10.0.0.1', 'ua');
    assert.equal((await s.listDevices('@b:hs'))[0]?.lastSeenTs, 77);
  });

  test('refresh tokens: replacing retires the old access tokens and the previous generation', async () => {
    const s = (await h.open()).accounts;
    await s.createUser({ userId: '@c:hs', passwordHash: null, createdTs: 1 });
    const r1 = await s.insertRefreshToken({ tokenHash: 'r1', userId: '@c:hs', deviceId: 'D', expiryTs: null, createdTs: 1 });
    await s.insertAccessToken({ tokenHash: 'a1', userId: '@c:hs', deviceId: 'D', validUntilTs: 10, refreshTokenId: r1, createdTs: 1 });
    const r2 = await s.insertRefreshToken({ tokenHash: 'r2', userId: '@c:hs', deviceId: 'D', expiryTs: null, createdTs: 2 });
    const a2 = await s.insertAccessToken({ tokenHash: 'a2', userId: '@c:hs', deviceId: 'D', validUntilTs: 10, refreshTokenId: r2, createdTs: 2 });
    await s.replaceRefreshToken(r1, r2);
    assert.equal(await s.findAccessToken('a1'), null);
    assert.equal((await s.findRefreshToken('r1'))?.nextTokenUsed, false);
    await s.markAccessTokenUsed(a2);
    assert.equal((await s.findRefreshToken('r1'))?.nextTokenUsed, true);
    const r3 = await s.insertRefreshToken({ tokenHash: 'r3', userId: '@c:hs', deviceId: 'D', expiryTs: null, createdTs: 3 });
    await s.replaceRefreshToken(r2, r3);
    assert.equal(await s.findRefreshToken('r1'), null, 'the generation before r2 is gone');
  });

  test('login tokens are single use and expire', async () => {
    const s = (await h.open()).accounts;
    await s.insertLoginToken('l1', '@d:hs', 100, null);
    assert.equal(await s.consumeLoginToken('l1', 200), null, 'expired');
    await s.insertLoginToken('l2', '@d:hs', 100, 'oidc');
    assert.deepEqual(await s.consumeLoginToken('l2', 50), { userId: '@d:hs', authProviderId: 'oidc' });
    assert.equal(await s.consumeLoginToken('l2', 50), null, 'used');
  });

  test('registration tokens: reservations respect uses_allowed and expiry', async () => {
    const s = (await h.open()).accounts;
    await s.createRegistrationToken({ token: 't', usesAllowed: 1, pending: 0, completed: 0, expiryTime: null });
    assert.equal(await s.reserveRegistrationToken('t', 1), true);
    assert.equal(await s.reserveRegistrationToken('t', 1), false);
    await s.completeRegistrationToken('t');
    assert.deepEqual(await s.getRegistrationToken('t'), { token: 't', usesAllowed: 1, pending: 0, completed: 1, expiryTime: null });
    await s.createRegistrationToken({ token: 'old', usesAllowed: null, pending: 0, completed: 0, expiryTime: 10 });
    assert.equal(await s.reserveRegistrationToken('old', 20), false);
    assert.equal(await s.reserveRegistrationToken('old', 5), true);
  });

  test('UIA sessions keep params, server data and completed stages; old ones are swept', async () => {
    const s = (await h.open()).accounts;
    await s.createUiaSession({ sessionId: 'S', createdTs: 1, operation: 'register', clientParams: { username: 'x' }, serverData: {} });
    await s.markUiaStageComplete('S', 'm.login.dummy', true);
    await s.setUiaServerData('S', { registered_user_id: '@x:hs' });
    const got = await s.getUiaSession('S');
    assert.deepEqual(got?.completed, { 'm.login.dummy': true });
    assert.deepEqual(got?.clientParams, { username: 'x' });
    assert.deepEqual(got?.serverData, { registered_user_id: '@x:hs' });
    assert.equal(await s.deleteUiaSessionsBefore(2), 1);
    assert.equal(await s.getUiaSession('S'), null);
  });
});
