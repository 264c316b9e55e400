import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppServiceRegistration, Bridge, type WeakEvent } from 'matrix-appservice-bridge';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../helpers/users.js';
import { waitFor } from './fake-appservice.js';
import { freePort } from '../helpers/http.js';

// The done-when of the appservice work with the ecosystem's bridge SDK: a matrix-appservice-bridge Bridge with a
// registration the library generated, loaded by the real server.

describe('matrix-appservice-bridge against the server', () => {
  let dir: string;
  let server: TestServer;
  let bridge: Bridge;
  let makeBridge: () => Bridge;
  let bridgePort = 0;
  let alice: RegisteredUser;
  const received: WeakEvent[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-bridge-'));
    const port = await freePort();
    const reg = new AppServiceRegistration(`http://127.0.0.1:${port}`);
    reg.setId('sdkbridge');
    reg.setHomeserverToken(AppServiceRegistration.generateToken());
    reg.setAppServiceToken(AppServiceRegistration.generateToken());
    reg.setSenderLocalpart('sdkbot');
    reg.addRegexPattern('users', '@_sdk_.*:localhost', true);
    reg.addRegexPattern('aliases', '#_sdk_.*:localhost', true);
    const regPath = join(dir, 'registration.yaml');
    reg.outputAsYaml(regPath);
    server = await startTestServer({ ...TEST_USER_CONFIG, appServiceConfigFiles: [regPath] });
    alice = await registerUser(server.baseUrl, server.config, 'alice');
    makeBridge = () => new Bridge({
      homeserverUrl: server.baseUrl,
      domain: 'localhost',
      registration: regPath,
      disableStores: true,
      disableContext: true,
      controller: {
        onEvent: (request: { getData(): WeakEvent }) => {
          received.push(request.getData());
        },
        onUserQuery: () => ({ name: 'On Demand Ghost' }),
        onAliasQuery: (_alias: string, localpart: string) => ({ creationOpts: { preset: 'public_chat', room_alias_name: localpart } }),
      },
    });
    bridgePort = port;
    bridge = makeBridge();
    await bridge.run(port);
  });

  after(async () => {
    await bridge?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("ping works (the bridge's own round trip: an event sent by its bot comes back in a transaction)", async () => {
    const { room_id } = await bridge.getIntent().createRoom({ createAsClient: true, options: {} });
    const ms = await bridge.pingAppserviceRoute(room_id, 10_000);
    assert.equal(typeof ms, 'number');
  });

  it("a Matrix user's message reaches onEvent; the Intent registers a ghost, joins, sends and sets a display name", async () => {
    const created = await fetch(`${server.baseUrl}/_matrix/client/v3/createRoom`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ preset: 'public_chat' }),
    });
    const roomId = ((await created.json()) as { room_id: string }).room_id;
    const intent = bridge.getIntent('@_sdk_ghost:localhost');
    await intent.join(roomId);
    await intent.setDisplayName('Ghost One');
    const sent = await intent.sendText(roomId, 'from the remote network');
    assert.match(sent.event_id, /^\$/);
    const res = await fetch(`${server.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/a1`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ msgtype: 'm.text', body: 'to the remote network' }),
    });
    const eventId = ((await res.json()) as { event_id: string }).event_id;
    await waitFor(() => received.some((e) => e.event_id === eventId), 10_000, 'onEvent');
    const profile = await fetch(`${server.baseUrl}/_matrix/client/v3/profile/${encodeURIComponent('@_sdk_ghost:localhost')}`);
    assert.equal(((await profile.json()) as { displayname?: string }).displayname, 'Ghost One');
  });

  it('a user query creates a ghost on demand and an alias query a portal room', async () => {
    const profile = await fetch(`${server.baseUrl}/_matrix/client/v3/profile/${encodeURIComponent('@_sdk_new:localhost')}`);
    assert.equal(profile.status, 200, await profile.clone().text());
    const alias = await fetch(`${server.baseUrl}/_matrix/client/v3/directory/room/${encodeURIComponent('#_sdk_portal:localhost')}`);
    assert.equal(alias.status, 200, await alias.clone().text());
  });

  it('stopped bridge: 200 messages sent meanwhile arrive after it restarts, in order, exactly once', async () => {
    const h = { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'application/json' };
    const created = (await (await fetch(`${server.baseUrl}/_matrix/client/v3/createRoom`, { method: 'POST', headers: h, body: JSON.stringify({ preset: 'public_chat' }) })).json()) as { room_id: string };
    const roomId = created.room_id;
    await bridge.getIntent('@_sdk_listener:localhost').join(roomId);
    await bridge.close();
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await fetch(`${server.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/off${i}`, { method: 'PUT', headers: h, body: JSON.stringify({ msgtype: 'm.text', body: `n${i}` }) });
      ids.push(((await r.json()) as { event_id: string }).event_id);
    }
    bridge = makeBridge();
    await bridge.run(bridgePort);
    const wanted = new Set(ids);
    await waitFor(() => received.filter((e) => wanted.has(e.event_id)).length >= 200, 60_000, '200 events after restart');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(received.filter((e) => wanted.has(e.event_id)).map((e) => e.event_id), ids);
  });
});
