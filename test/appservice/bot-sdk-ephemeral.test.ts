import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Appservice, type IAppserviceRegistration } from 'matrix-bot-sdk';
import { stringify } from 'yaml';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../helpers/users.js';
import { waitFor } from './fake-appservice.js';
import { freePort } from '../helpers/http.js';

// matrix-bot-sdk's Appservice receives typing and receipts as ephemeral events (receive_ephemeral / MSC2409).

describe('matrix-bot-sdk Appservice ephemeral events', () => {
  let dir: string;
  let server: TestServer;
  let appservice: Appservice;
  let alice: RegisteredUser;
  const ephemeral: Array<Record<string, unknown>> = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-botsdk-'));
    const port = await freePort();
    const registration: IAppserviceRegistration = {
      id: 'botsdk',
      url: `http://127.0.0.1:${port}`,
      as_token: 'botsdk-as',
      hs_token: 'botsdk-hs',
      sender_localpart: 'botsdkbot',
      namespaces: { users: [{ regex: '@_botsdk_.*', exclusive: true }], rooms: [], aliases: [] },
      'de.sorunome.msc2409.push_ephemeral': true,
    };
    const regPath = join(dir, 'botsdk.yaml');
    await writeFile(regPath, stringify(registration));
    server = await startTestServer({ ...TEST_USER_CONFIG, appServiceConfigFiles: [regPath] });
    alice = await registerUser(server.baseUrl, server.config, 'alice');
    appservice = new Appservice({ port, bindAddress: '127.0.0.1', homeserverName: 'localhost', homeserverUrl: server.baseUrl, registration });
    appservice.on('ephemeral.event', (e: Record<string, unknown>) => ephemeral.push(e));
    await appservice.begin();
  });

  after(async () => {
    appservice?.stop();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('typing and a read receipt in a room with the bot arrive as ephemeral events', async () => {
    const h = { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'application/json' };
    const created = (await (await fetch(`${server.baseUrl}/_matrix/client/v3/createRoom`, { method: 'POST', headers: h, body: JSON.stringify({ preset: 'public_chat' }) })).json()) as { room_id: string };
    const roomId = created.room_id;
    await appservice.botIntent.joinRoom(roomId);
    const sent = (await (
      await fetch(`${server.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/e1`, { method: 'PUT', headers: h, body: JSON.stringify({ msgtype: 'm.text', body: 'hi' }) })
    ).json()) as { event_id: string };
    await fetch(`${server.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { method: 'PUT', headers: h, body: JSON.stringify({ typing: true, timeout: 30000 }) });
    await fetch(`${server.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(sent.event_id)}`, { method: 'POST', headers: h, body: '{}' });
    await waitFor(() => ephemeral.some((e) => e.type === 'm.typing') && ephemeral.some((e) => e.type === 'm.receipt'), 10_000, 'typing and receipt');
    const typing = ephemeral.find((e) => e.type === 'm.typing');
    assert.deepEqual((typing?.content as { user_ids: string[] }).user_ids, [alice.userId]);
    const receipt = ephemeral.find((e) => e.type === 'm.receipt');
    assert.ok(Object.keys(receipt?.content as object).includes(sent.event_id));
  });
});
