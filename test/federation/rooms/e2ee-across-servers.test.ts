import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoClients, muteConsole, nextDecrypted, restoreConsole, restoreTimers, startCryptoClient, unrefLongTimers, until } from '../../helpers/sdk-crypto.js';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, enc, startFederation, user, type FedServer } from './harness.js';

// An encrypted room across servers, driven by matrix-js-sdk with Rust crypto: alice@hs1 and bob@hs2 each
// find the other's devices through their own server (remote /keys/query over federation), claim one-time
// keys over federation, receive the megolm room key as to-device messages carried between the servers, and
// decrypt each other's messages. The servers only ever hold ciphertext.

describe('an encrypted room across two servers with matrix-js-sdk (Rust crypto)', { timeout: 240_000 }, () => {
  let hs1: FedServer;
  let hs2: FedServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  before(async () => {
    if (!process.env.HS_TEST_SDK_LOGS) muteConsole();
    unrefLongTimers();
    [hs1, hs2] = (await startFederation(['hs1.test', 'hs2.test'])) as [FedServer, FedServer];
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
  });
  after(async () => {
    for (const c of cryptoClients.splice(0)) c.stopClient();
    await hs2?.server.close();
    await hs1?.server.close();
    restoreConsole();
    restoreTimers();
  });

  test('alice@hs1 and bob@hs2 exchange messages that each decrypts', async () => {
    const aliceClient = await startCryptoClient(hs1.server.baseUrl, alice);
    const bobClient = await startCryptoClient(hs2.server.baseUrl, bob);

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
    // Each learns the other's device through its own server, which asks the other over federation.
    await until("alice knows bob's device", async () => (await aliceClient.getCrypto()?.getUserDeviceInfo([bob.userId], true))?.get(bob.userId)?.has(bob.deviceId) ?? false);
    await until("bob knows alice's device", async () => (await bobClient.getCrypto()?.getUserDeviceInfo([alice.userId], true))?.get(alice.userId)?.has(alice.deviceId) ?? false);

    const bobGets = nextDecrypted(bobClient, roomId, (b) => b === 'hello bob, from hs1');
    const sent = await aliceClient.sendTextMessage(roomId, 'hello bob, from hs1');
    const atBob = await bobGets;
    assert.equal(atBob.getSender(), alice.userId);
    const stored = await api(hs2, bob, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(sent.event_id)}`);
    assert.equal(stored.body.type, 'm.room.encrypted', 'hs2 holds only ciphertext');

    const aliceGets = nextDecrypted(aliceClient, roomId, (b) => b === 'hi alice, from hs2');
    await bobClient.sendTextMessage(roomId, 'hi alice, from hs2');
    const atAlice = await aliceGets;
    assert.equal(atAlice.getSender(), bob.userId);
  });
});
