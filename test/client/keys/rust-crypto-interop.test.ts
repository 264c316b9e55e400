import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClientEvent,
  createClient,
  MatrixEventEvent,
  RoomEvent,
  SyncState,
  type MatrixClient,
  type MatrixEvent,
} from 'matrix-js-sdk';
import { defaultRuleset } from '../../../src/protocol/index.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../../helpers/users.js';
import { C, call } from './http.js';

// The end-to-end test: matrix-js-sdk clients with the Rust crypto stack (@matrix-org/matrix-sdk-crypto-wasm)
// upload keys, claim one-time keys, share megolm room keys over to-device messages and decrypt each other's
// messages, all through this server. The server never sees plaintext.

/**
 * Answers the SDK's push-rules fetch when the server cannot (the push rules API belongs to other work; the SDK
 * retries that fetch forever before its first /sync). Push rules play no part in what this file tests.
 */
function fetchWithPushRules(userId: string): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    if (/\/_matrix\/client\/v3\/pushrules\/?(\?|$)/.test(url)) {
      const probe = await fetch(input, init);
      if (probe.status === 200) return probe;
      return new Response(JSON.stringify({ global: defaultRuleset(userId) }), { headers: { 'Content-Type': 'application/json' } });
    }
    return fetch(input, init);
  };
}

function waitFor<T>(what: string, register: (resolve: (v: T) => void) => void, ms = 30_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    register((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const clients: MatrixClient[] = [];

/**
 * The SDK (loglevel) and its Rust crypto (wasm tracing) write every request and state change to the console at
 * debug level, through loggers the client options do not reach. Muted for the duration of this file only.
 */
const muted = ['debug', 'info', 'log', 'trace', 'warn'] as const;
const saved = muted.map((m) => [m, console[m]] as const);
function muteConsole(): void {
  for (const m of muted) console[m] = () => undefined;
}
function restoreConsole(): void {
  for (const [m, f] of saved) console[m] = f;
}

/**
 * The SDK arms long timers it never clears (a request timeout per HTTP call, a 5-minute wait per undecrypted
 * event) that would keep this test process alive for minutes after the clients stopped. Long timers created
 * during this file are unref'd so they cannot hold the process open; short ones (the test's own polling) are
 * untouched.
 */
const realSetTimeout = globalThis.setTimeout;
function unrefLongTimers(): void {
  const patched = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const t = realSetTimeout(fn, ms, ...args);
    if ((ms ?? 0) >= 30_000) t.unref();
    return t;
  }) as typeof setTimeout;
  globalThis.setTimeout = Object.assign(patched, realSetTimeout);
}

async function startCryptoClient(server: TestServer, user: RegisteredUser): Promise<MatrixClient> {
  const client = createClient({
    baseUrl: server.baseUrl,
    accessToken: user.accessToken,
    userId: user.userId,
    deviceId: user.deviceId,
    fetchFn: fetchWithPushRules(user.userId),
  });
  clients.push(client);
  await client.initRustCrypto({ useIndexedDB: false });
  const prepared = waitFor<void>(`${user.userId} PREPARED`, (done) => {
    client.on(ClientEvent.Sync, (state: SyncState) => {
      if (state === SyncState.Prepared) done();
    });
  });
  await client.startClient({ initialSyncLimit: 10 });
  await prepared;
  // The Rust stack uploads device and one-time keys right after start; wait until the server has them.
  await until(`${user.userId} keys uploaded`, async () => {
    const q = await call(server.baseUrl, 'POST', `${C}/v3/keys/query`, { token: user.accessToken, body: { device_keys: { [user.userId]: [user.deviceId] } } });
    return Boolean((q.body.device_keys as Record<string, Record<string, unknown>>)[user.userId]?.[user.deviceId]);
  });
  return client;
}

/** Resolves with the decrypted body of the next message in `roomId` whose clear body satisfies `match`. */
function nextDecrypted(client: MatrixClient, roomId: string, match: (body: string) => boolean): Promise<MatrixEvent> {
  return waitFor<MatrixEvent>(`decrypted message for ${client.getUserId()}`, (done) => {
    const check = (ev: MatrixEvent) => {
      if (ev.getRoomId() !== roomId || ev.isDecryptionFailure() || ev.getType() !== 'm.room.message') return;
      const body = ev.getContent().body;
      if (typeof body === 'string' && match(body)) done(ev);
    };
    client.on(MatrixEventEvent.Decrypted, (ev: MatrixEvent) => check(ev));
    client.on(RoomEvent.Timeline, (ev: MatrixEvent) => {
      if (!ev.isEncrypted() || ev.getClearContent() !== null) check(ev);
    });
  });
}

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
    for (const c of clients) c.stopClient();
    await server.close();
    restoreConsole();
    globalThis.setTimeout = realSetTimeout;
  });

  test('two users exchange encrypted messages and each decrypts the other\'s; a later device of bob gets the key', async () => {
    const aliceClient = await startCryptoClient(server, alice);
    const bobClient = await startCryptoClient(server, bob);

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
    const bob2Client = await startCryptoClient(server, bob2);
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
    const carolClient = await startCryptoClient(server, carol);
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
    const carol2Client = await startCryptoClient(server, carol2);
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
