import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_IP_RANGE_BLOCKLIST } from '../../../src/config/defaults.js';
import type { TestServer } from '../../helpers/server.js';
import { apiFor, createRoom, send, startSyncServer, type Api } from '../sync/helpers.js';
import { startFakeGateway, type FakeGateway } from './fake-gateway.js';

// A pusher's URL is chosen by the user, so the server must not post to addresses in ip_range_blacklist (its
// own network) unless ip_range_whitelist carves them out, as for federation and as Synapse does.

const enc = encodeURIComponent;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pusher(url: string, pushkey: string) {
  return { kind: 'http', app_id: 'org.example.app', pushkey, app_display_name: 'Example', device_display_name: 'Phone', lang: 'en', data: { url } };
}

describe('push gateways and the outbound IP policy', () => {
  let server: TestServer;
  let blocked: FakeGateway;
  let allowed: FakeGateway;
  let alice: Api;
  let bob: Api;
  let carol: Api;
  let roomId: string;
  before(async () => {
    // The default block list (loopback included), with IPv6 loopback let through by the allow list.
    server = await startSyncServer({ ipRangeBlacklist: [...DEFAULT_IP_RANGE_BLOCKLIST], ipRangeWhitelist: ['::1/128'] });
    blocked = await startFakeGateway('127.0.0.1');
    allowed = await startFakeGateway('::1');
    alice = await apiFor(server, 'alice');
    bob = await apiFor(server, 'bob');
    carol = await apiFor(server, 'carol');
    roomId = await createRoom(alice, { preset: 'public_chat' });
    await bob.ok('POST', `/v3/join/${enc(roomId)}`, {});
    await carol.ok('POST', `/v3/join/${enc(roomId)}`, {});
  });
  after(async () => {
    await server.close();
    await blocked.close();
    await allowed.close();
  });

  test('a gateway on a blocked address is never contacted; one the allow list carves out is', async () => {
    // Setting the pusher is allowed (Synapse checks the address when it delivers, not when it is set).
    await bob.ok('POST', '/v3/pushers/set', pusher(blocked.url, 'bob-key'));
    await carol.ok('POST', '/v3/pushers/set', pusher(allowed.url, 'carol-key'));
    const eventId = await send(alice, roomId, 'hello both');
    await allowed.waitFor(1);
    assert.equal(allowed.received[0]!.notification.event_id, eventId);
    assert.equal(allowed.received[0]!.notification.devices[0].pushkey, 'carol-key');
    // Bob's push was due in the same pass and retries after a second: give it that chance.
    await sleep(1_500);
    assert.equal(blocked.received.length, 0);
  });
});
