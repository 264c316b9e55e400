import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { cryptoClients, muteConsole, nextDecrypted, restoreConsole, restoreTimers, startCryptoClient, unrefLongTimers, until } from '../../helpers/sdk-crypto.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';
import { C, call } from './http.js';

// The end-to-end test: matrix-js-sdk clients with the Rust crypto stack (@matrix-org/matrix-sdk-crypto-wasm)
// upload keys, claim one-time keys, share megolm room keys over to-device messages and decrypt each other's
// messages, all through this server. The server never sees plaintext.

describe('matrix-js-sdk with Rust crypto', { timeout: 180_000 }, () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  before(async () => {
    if (!process.env.HS_TEST_SDK_LOGS) muteConsole();
    unrefLongTimers();
    server = await startTestServer({ ...TEST_USER_CONFIG, rateLimits: {} });
    alice = await registerUser(server.baseUrl, server.config, 'alice');
    bob = await registerUser(server.baseUrl, server.config, 'bob');
  });
  after(async () => {
    for (const c of cryptoClients) c.stopClient();
    await server.close();
    restoreConsole();
    restoreTimers();
  });

  test('two users exchange encrypted messages and each decrypts the other\'s; a later device of bob gets the key', async () => {
    const aliceClient = await startCryptoClient(server.baseUrl, alice);
    const bobClient = await startCryptoClient(server.baseUrl, bob);

    const { room_id: roomId } = await aliceClient.createRoom({
      invite: [bob.userId],
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    await until('bob sees the invite', () => bobClient.getRoom(roomId)?.getMyMembership() === 'invite');
    await bobClient.joinRoom(roomId);
    await until('alice sees bob joined', () => aliceClient.getRoom(roomId)?.getMember(bob.userId)?.membership === 'join');
    await until('the room is encrypted for both', async () =>
      Boolean((await aliceClient.getCrypto()?.isEncryptionEnabledInRoom(roomId)) && (await bobClient.getCrypto()?.isEncryptionEnabledInRoom(roomId))),
    );

    const bobGets = nextDecrypted(bobClient, roomId, (b) => b === 'hello bob');
    const sent = await aliceClient.sendTextMessage(roomId, 'hello bob');
    const raw = await call(server.baseUrl, 'GET', `${C}/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(sent.event_id)}`, { token: alice.accessToken });
    assert.equal(raw.body.type, 'm.room.encrypted', 'the server stores only ciphertext');
    const atBob = await bobGets;
    assert.equal(atBob.getSender(), alice.userId);

    const aliceGets = nextDecrypted(aliceClient, roomId, (b) => b === 'hi alice');
    await bobClient.sendTextMessage(roomId, 'hi alice');
    await aliceGets;

    // Bob logs in on a new device; Alice's next message shares the room key with it too.
    const login = await call(server.baseUrl, 'POST', `${C}/v3/login`, {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: bob.userId }, password: bob.password },
    });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const bob2: RegisteredUser = { ...bob, accessToken: String(login.body.access_token), deviceId: String(login.body.device_id) };
    const bob2Client = await startCryptoClient(server.baseUrl, bob2);
    await until('alice tracks bob\'s new device', async () => {
      const devices = await aliceClient.getCrypto()?.getUserDeviceInfo([bob.userId], true);
      return devices?.get(bob.userId)?.has(bob2.deviceId) ?? false;
    });
    const bob2Gets = nextDecrypted(bob2Client, roomId, (b) => b === 'for every device');
    await aliceClient.sendTextMessage(roomId, 'for every device');
    await bob2Gets;
  });

  test('cross-signing bootstrap signs the device; a key backup is created, filled, and restored on a new device', async () => {
    const carol = await registerUser(server.baseUrl, server.config, 'carol');
    const carolClient = await startCryptoClient(server.baseUrl, carol);
    const crypto = carolClient.getCrypto();
    assert.ok(crypto);
    const password = { type: 'm.login.password', identifier: { type: 'm.id.user', user: carol.userId }, password: carol.password };
    await crypto.bootstrapCrossSigning({
      setupNewCrossSigning: true,
      authUploadDeviceSigningKeys: async (makeRequest) => {
        await makeRequest(password);
      },
    });
    const status = await crypto.getCrossSigningStatus();
    assert.equal(status.publicKeysOnDevice, true);
    assert.equal(status.privateKeysCachedLocally.masterKey, true);
    await until('the device is cross-signed as the server reports it', async () => {
      const v = await crypto.getDeviceVerificationStatus(carol.userId, carol.deviceId);
      return v?.crossSigningVerified ?? false;
    });

    await crypto.resetKeyBackup();
    let version: string | null = null;
    // The SDK enables the new backup asynchronously, after checking its signature against our keys.
    await until('the new backup is trusted and active', async () => (version = await crypto.getActiveSessionBackupVersion()) !== null);
    assert.ok(version);
    const { room_id: roomId } = await carolClient.createRoom({
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    await until('carol sees her encrypted room', async () => Boolean(await crypto.isEncryptionEnabledInRoom(roomId)));
    await carolClient.sendTextMessage(roomId, 'backed up');
    await until('the room key reached the backup', async () => {
      const info = await call(server.baseUrl, 'GET', `${C}/v3/room_keys/version/${version}`, { token: carol.accessToken });
      return info.body.count === 1;
    });
    const backupKey = await crypto.getSessionBackupPrivateKey();
    assert.ok(backupKey);

    // A new device of carol restores the room key from the backup and reads the old message.
    const login = await call(server.baseUrl, 'POST', `${C}/v3/login`, { body: password });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const carol2: RegisteredUser = { ...carol, accessToken: String(login.body.access_token), deviceId: String(login.body.device_id) };
    const carol2Client = await startCryptoClient(server.baseUrl, carol2);
    const crypto2 = carol2Client.getCrypto();
    assert.ok(crypto2);
    await crypto2.storeSessionBackupPrivateKey(backupKey, version);
    const restored = await crypto2.restoreKeyBackup();
    assert.equal(restored.imported, 1);
    await until('the old message decrypts on the new device', async () => {
      const room = carol2Client.getRoom(roomId);
      const ev = room?.getLiveTimeline().getEvents().find((e) => e.getType() === 'm.room.message' || e.isEncrypted());
      if (!ev) return false;
      await carol2Client.decryptEventIfNeeded(ev);
      return ev.getContent().body === 'backed up';
    });
  });
});
