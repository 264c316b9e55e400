import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Appservice, type IAppserviceRegistration } from 'matrix-bot-sdk';
import { stringify } from 'yaml';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../helpers/users.js';
import { makeDevice } from '../users/e2e/fixtures.js';
import { waitFor } from './fake-appservice.js';
import { freePort } from '../helpers/http.js';

// matrix-bot-sdk's Appservice reads the encryption extensions of our transactions: a to-device message for
// its bot's device (MSC2409) comes out as an ephemeral event, and the MSC3202 one-time key counts and
// device-list changes as its otk.counts and device_lists events.

describe('matrix-bot-sdk Appservice: to-device messages and MSC3202 data', () => {
  let dir: string;
  let server: TestServer;
  let appservice: Appservice;
  let alice: RegisteredUser;
  const ephemeral: Array<Record<string, unknown>> = [];
  const otkCounts: Array<Record<string, Record<string, Record<string, number>>>> = [];
  const deviceLists: Array<{ changed: string[] }> = [];
  const bot = '@cryptobot:localhost';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-botsdk-crypto-'));
    const port = await freePort();
    const registration = {
      id: 'botsdkcrypto',
      url: `http://127.0.0.1:${port}`,
      as_token: 'botsdk-crypto-as',
      hs_token: 'botsdk-crypto-hs',
      sender_localpart: 'cryptobot',
      namespaces: { users: [{ regex: '@_crypto_.*', exclusive: true }], rooms: [], aliases: [] },
      'de.sorunome.msc2409.push_ephemeral': true,
      'org.matrix.msc3202': true,
    } as IAppserviceRegistration;
    const regPath = join(dir, 'botsdk.yaml');
    await writeFile(regPath, stringify(registration));
    server = await startTestServer({ ...TEST_USER_CONFIG, appServiceConfigFiles: [regPath] });
    alice = await registerUser(server.baseUrl, server.config, 'alice');
    appservice = new Appservice({ port, bindAddress: '127.0.0.1', homeserverName: 'localhost', homeserverUrl: server.baseUrl, registration });
    appservice.on('ephemeral.event', (e: Record<string, unknown>) => ephemeral.push(e));
    appservice.on('otk.counts', (c: Record<string, Record<string, Record<string, number>>>) => otkCounts.push(c));
    appservice.on('device_lists', (d: { changed: string[] }) => deviceLists.push(d));
    await appservice.begin();
  });

  after(async () => {
    appservice?.stop();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("a to-device message for the bot's device and the device's key counts reach the SDK", async () => {
    const asHeaders = { Authorization: 'Bearer botsdk-crypto-as', 'Content-Type': 'application/json' };
    const dev = await fetch(`${server.baseUrl}/_matrix/client/v3/devices/BOTDEV`, { method: 'PUT', headers: asHeaders, body: '{}' });
    assert.equal(dev.status, 201);
    const h = { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'application/json' };
    const sent = await fetch(`${server.baseUrl}/_matrix/client/v3/sendToDevice/m.test.hello/t1`, {
      method: 'PUT',
      headers: h,
      body: JSON.stringify({ messages: { [bot]: { BOTDEV: { hello: 'bot' } } } }),
    });
    assert.equal(sent.status, 200);
    await waitFor(() => ephemeral.some((e) => e.type === 'm.test.hello'), 15_000, 'the to-device message');
    const msg = ephemeral.find((e) => e.type === 'm.test.hello');
    assert.equal(msg?.sender, alice.userId);
    assert.equal(msg?.to_user_id, bot);
    assert.equal(msg?.to_device_id, 'BOTDEV');
    assert.deepEqual(msg?.content, { hello: 'bot' });
    assert.ok(otkCounts.some((c) => c[bot]?.BOTDEV?.signed_curve25519 === 0), JSON.stringify(otkCounts));
  });

  it("a device-list change of a user in a room with the bot is reported in the SDK's device_lists", async () => {
    const h = { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'application/json' };
    const created = (await (await fetch(`${server.baseUrl}/_matrix/client/v3/createRoom`, { method: 'POST', headers: h, body: JSON.stringify({ preset: 'public_chat' }) })).json()) as { room_id: string };
    await appservice.botIntent.joinRoom(created.room_id);
    const keys = makeDevice(alice.userId, alice.deviceId).deviceKeys;
    assert.equal((await fetch(`${server.baseUrl}/_matrix/client/v3/keys/upload`, { method: 'POST', headers: h, body: JSON.stringify({ device_keys: keys }) })).status, 200);
    await waitFor(() => deviceLists.some((d) => d.changed.includes(alice.userId)), 15_000, "alice's device-list change");
  });
});
