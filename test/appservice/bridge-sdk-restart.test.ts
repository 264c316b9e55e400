import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppServiceRegistration, Bridge, type WeakEvent } from 'matrix-appservice-bridge';
import { bootTestServer, testServerConfig, type TestServer } from '../helpers/server.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../helpers/users.js';
import { waitFor } from './fake-appservice.js';
import { freePort } from '../helpers/http.js';

// Exactly-once delivery to a real matrix-appservice-bridge Bridge across both kinds of outage at once: the
// bridge is down while messages are sent, and the homeserver is restarted (same database) with transactions
// still pending. When the bridge comes back it gets every message once, in order.

function boot(dir: string, registrationPath: string): Promise<TestServer> {
  return bootTestServer(testServerConfig(dir, { ...TEST_USER_CONFIG, appServiceConfigFiles: [registrationPath] }), dir);
}

describe('matrix-appservice-bridge: bridge down and homeserver restarted with events pending', () => {
  let dir: string;
  let regPath: string;
  let server: TestServer;
  let bridge: Bridge | null = null;
  let bridgePort: number;
  let alice: RegisteredUser;
  const received: WeakEvent[] = [];

  const makeBridge = () =>
    new Bridge({
      homeserverUrl: server.baseUrl,
      domain: 'localhost',
      registration: regPath,
      disableStores: true,
      disableContext: true,
      controller: {
        onEvent: (request: { getData(): WeakEvent }) => {
          received.push(request.getData());
        },
      },
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-bridge-restart-'));
    bridgePort = await freePort();
    const reg = new AppServiceRegistration(`http://127.0.0.1:${bridgePort}`);
    reg.setId('restartbridge');
    reg.setHomeserverToken(AppServiceRegistration.generateToken());
    reg.setAppServiceToken(AppServiceRegistration.generateToken());
    reg.setSenderLocalpart('restartbot');
    reg.addRegexPattern('users', '@_rs_.*:localhost', true);
    regPath = join(dir, 'registration.yaml');
    reg.outputAsYaml(regPath);
    server = await boot(dir, regPath);
    alice = await registerUser(server.baseUrl, server.config, 'alice');
    bridge = makeBridge();
    await bridge.run(bridgePort);
  });

  after(async () => {
    await bridge?.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('200 messages (100 before the restart, 100 after) reach the bridge once each, in order', async () => {
    const send = async (roomId: string, txn: string, body: string): Promise<string> => {
      const r = await fetch(`${server.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ msgtype: 'm.text', body }),
      });
      assert.equal(r.status, 200);
      return ((await r.json()) as { event_id: string }).event_id;
    };
    const created = await fetch(`${server.baseUrl}/_matrix/client/v3/createRoom`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ preset: 'public_chat' }),
    });
    const roomId = ((await created.json()) as { room_id: string }).room_id;
    await bridge!.getIntent('@_rs_listener:localhost').join(roomId);
    // The bridge is live: a first message arrives, so the queue is known to work before the outage.
    const warm = await send(roomId, 'warm', 'before the outage');
    await waitFor(() => received.some((e) => e.event_id === warm), 15_000, 'the first message');

    await bridge!.close();
    bridge = null;
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(await send(roomId, `pre${i}`, `pre ${i}`));
    await server.close();
    server = await boot(dir, regPath);
    for (let i = 0; i < 100; i++) ids.push(await send(roomId, `post${i}`, `post ${i}`));

    bridge = makeBridge();
    await bridge.run(bridgePort);
    const wanted = new Set(ids);
    await waitFor(() => received.filter((e) => wanted.has(e.event_id)).length >= 200, 90_000, '200 events after the restarts');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(
      received.filter((e) => wanted.has(e.event_id)).map((e) => e.event_id),
      ids,
    );
    assert.equal(received.filter((e) => e.event_id === warm).length, 1, 'the message from before the outage was not sent again');
  });
});
