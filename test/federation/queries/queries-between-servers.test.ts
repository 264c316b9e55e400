import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FederationRequestError } from '../../../src/federation/outbound/index.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import type { RegisteredUser } from '../../helpers/users.js';
import { makeDevice, signedOneTimeKey } from '../../users/e2e/fixtures.js';
import { api, enc, signingClientAs, startFederation, user, type FedServer } from '../rooms/harness.js';

// Federation queries between real servers: a user of hs2 looks up hs1's profiles, aliases, public rooms and
// E2EE keys through its own server; the federation endpoints are also called directly, signed as hs2, and
// their answers checked against the server-server spec.

describe('federation queries between two servers', () => {
  let hs: FedServer[];
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  let asHs2: Awaited<ReturnType<typeof signingClientAs>>;
  const overrides: Record<string, string> = {};

  before(async () => {
    hs = await startFederation(['hs1.test', 'hs2.test'], overrides);
    const [hs1, hs2] = hs as [FedServer, FedServer];
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
    assert.equal((await api(hs1, alice, 'PUT', `/_matrix/client/v3/profile/${enc(alice.userId)}/displayname`, { displayname: 'Alice A' })).status, 200);
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', {
      preset: 'public_chat',
      visibility: 'public',
      room_alias_name: 'lobby',
      name: 'The lobby',
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    roomId = created.body.room_id as string;

    // A federation client signing as hs2 (its name and key), for direct calls to hs1's endpoints.
    asHs2 = await signingClientAs(hs2, overrides);
  });
  after(async () => {
    await asHs2?.close();
    for (const s of hs ?? []) await s.server.close();
  });

  test('bob on hs2 reads alice\'s profile on hs1 (whole and one field); unknown users are 404', async () => {
    const [, hs2] = hs as [FedServer, FedServer];
    const whole = await api(hs2, bob, 'GET', `/_matrix/client/v3/profile/${enc(alice.userId)}`);
    assert.equal(whole.status, 200, JSON.stringify(whole.body));
    assert.equal(whole.body.displayname, 'Alice A');
    const field = await api(hs2, bob, 'GET', `/_matrix/client/v3/profile/${enc(alice.userId)}/displayname`);
    assert.deepEqual(field.body, { displayname: 'Alice A' });
    const missing = await api(hs2, bob, 'GET', `/_matrix/client/v3/profile/${enc('@nobody:hs1.test')}`);
    assert.equal(missing.status, 404, JSON.stringify(missing.body));
    assert.equal(missing.body.errcode, 'M_NOT_FOUND');
  });

  test('query/profile answered directly matches the spec; another server\'s user is refused', async () => {
    const body = await asHs2.client.getJson('hs1.test', '/_matrix/federation/v1/query/profile', { query: { user_id: alice.userId } });
    assertMatchesSpec('server-server', 'GET', '/_matrix/federation/v1/query/profile', 200, body);
    assert.equal(body.displayname, 'Alice A');
    await assert.rejects(
      asHs2.client.getJson('hs1.test', '/_matrix/federation/v1/query/profile', { query: { user_id: '@x:hs3.test' }, retries: 0 }),
      (e: unknown) => e instanceof FederationRequestError && e.status === 400,
    );
  });

  test('bob resolves #lobby:hs1.test through hs2; unknown aliases are 404', async () => {
    const [, hs2] = hs as [FedServer, FedServer];
    const r = await api(hs2, bob, 'GET', `/_matrix/client/v3/directory/room/${enc('#lobby:hs1.test')}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.room_id, roomId);
    assert.ok((r.body.servers as string[]).includes('hs1.test'));
    assertMatchesSpec('client-server', 'GET', '/_matrix/client/v3/directory/room/{roomAlias}', 200, r.body);
    const direct = await asHs2.client.getJson('hs1.test', '/_matrix/federation/v1/query/directory', { query: { room_alias: '#lobby:hs1.test' } });
    assertMatchesSpec('server-server', 'GET', '/_matrix/federation/v1/query/directory', 200, direct);
    const missing = await api(hs2, bob, 'GET', `/_matrix/client/v3/directory/room/${enc('#nope:hs1.test')}`);
    assert.equal(missing.status, 404, JSON.stringify(missing.body));
  });

  test('bob lists hs1\'s public rooms with ?server=hs1.test (GET and POST with a search term)', async () => {
    const [, hs2] = hs as [FedServer, FedServer];
    const got = await api(hs2, bob, 'GET', '/_matrix/client/v3/publicRooms?server=hs1.test');
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assertMatchesSpec('client-server', 'GET', '/_matrix/client/v3/publicRooms', 200, got.body);
    const entry = (got.body.chunk as Array<Record<string, unknown>>).find((e) => e.room_id === roomId);
    assert.equal(entry?.name, 'The lobby');
    const searched = await api(hs2, bob, 'POST', '/_matrix/client/v3/publicRooms?server=hs1.test', { filter: { generic_search_term: 'no such room' } });
    assert.equal(searched.status, 200, JSON.stringify(searched.body));
    assert.deepEqual(searched.body.chunk, []);
    const direct = await asHs2.client.getJson('hs1.test', '/_matrix/federation/v1/publicRooms', { query: { limit: 10 } });
    assertMatchesSpec('server-server', 'GET', '/_matrix/federation/v1/publicRooms', 200, direct);
    const posted = await asHs2.client.postJson('hs1.test', '/_matrix/federation/v1/publicRooms', { limit: 10, filter: { generic_search_term: 'lobby' } });
    assertMatchesSpec('server-server', 'POST', '/_matrix/federation/v1/publicRooms', 200, posted);
    assert.equal((posted.chunk as unknown[]).length, 1);
  });

  test('bob queries and claims alice\'s keys over federation; an unreachable server lands in failures', async () => {
    const [hs1, hs2] = hs as [FedServer, FedServer];
    const device = makeDevice(alice.userId, alice.deviceId);
    const up = await api(hs1, alice, 'POST', '/_matrix/client/v3/keys/upload', {
      device_keys: device.deviceKeys,
      one_time_keys: { 'signed_curve25519:AAAAAQ': signedOneTimeKey(device, 'b3RrMQ') },
    });
    assert.equal(up.status, 200, JSON.stringify(up.body));

    const q = await api(hs2, bob, 'POST', '/_matrix/client/v3/keys/query', { device_keys: { [alice.userId]: [], '@who:unreachable.test': [] } });
    assert.equal(q.status, 200, JSON.stringify(q.body));
    assertMatchesSpec('client-server', 'POST', '/_matrix/client/v3/keys/query', 200, q.body);
    const keys = (q.body.device_keys as Record<string, Record<string, Record<string, unknown>>>)[alice.userId]?.[alice.deviceId];
    assert.deepEqual(keys?.keys, (device.deviceKeys as Record<string, unknown>).keys);
    assert.ok((q.body.failures as Record<string, unknown>)['unreachable.test']);

    const c = await api(hs2, bob, 'POST', '/_matrix/client/v3/keys/claim', { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assertMatchesSpec('client-server', 'POST', '/_matrix/client/v3/keys/claim', 200, c.body);
    const claimed = (c.body.one_time_keys as Record<string, Record<string, Record<string, { key: string }>>>)[alice.userId]?.[alice.deviceId];
    assert.equal(claimed?.['signed_curve25519:AAAAAQ']?.key, 'b3RrMQ');
    // The one-time key is gone now: a second claim finds nothing.
    const again = await api(hs2, bob, 'POST', '/_matrix/client/v3/keys/claim', { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } });
    assert.equal((again.body.one_time_keys as Record<string, unknown>)[alice.userId], undefined);
  });

  test('user/devices and user/keys/query answered directly match the spec; other servers\' users are not answered', async () => {
    const devices = await asHs2.client.getJson('hs1.test', `/_matrix/federation/v1/user/devices/${enc(alice.userId)}`);
    assertMatchesSpec('server-server', 'GET', '/_matrix/federation/v1/user/devices/{userId}', 200, devices);
    assert.equal(devices.user_id, alice.userId);
    assert.equal(typeof devices.stream_id, 'number');
    const mine = (devices.devices as Array<Record<string, unknown>>).find((d) => d.device_id === alice.deviceId);
    assert.ok(mine?.keys, 'the device carries its keys');

    const query = await asHs2.client.postJson('hs1.test', '/_matrix/federation/v1/user/keys/query', {
      device_keys: { [alice.userId]: [], [bob.userId]: [] },
    });
    assertMatchesSpec('server-server', 'POST', '/_matrix/federation/v1/user/keys/query', 200, query);
    assert.deepEqual(Object.keys(query.device_keys as object), [alice.userId]);

    const claim = await asHs2.client.postJson('hs1.test', '/_matrix/federation/v1/user/keys/claim', {
      one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } },
    });
    assertMatchesSpec('server-server', 'POST', '/_matrix/federation/v1/user/keys/claim', 200, claim);

    await assert.rejects(
      asHs2.client.getJson('hs1.test', `/_matrix/federation/v1/user/devices/${enc(bob.userId)}`, { retries: 0 }),
      (e: unknown) => e instanceof FederationRequestError && e.status === 400,
    );
  });

  test('an OpenID token from request_token is exchanged for the user id at openid/userinfo', async () => {
    const [hs1] = hs as [FedServer, FedServer];
    const t = await api(hs1, alice, 'POST', `/_matrix/client/v3/user/${enc(alice.userId)}/openid/request_token`, {});
    assert.equal(t.status, 200, JSON.stringify(t.body));
    const ok = await fetch(`${hs1.server.baseUrl}/_matrix/federation/v1/openid/userinfo?access_token=${enc(t.body.access_token as string)}`);
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as Record<string, unknown>;
    assertMatchesSpec('server-server', 'GET', '/_matrix/federation/v1/openid/userinfo', 200, body);
    assert.deepEqual(body, { sub: alice.userId });
    const bad = await fetch(`${hs1.server.baseUrl}/_matrix/federation/v1/openid/userinfo?access_token=nope`);
    assert.equal(bad.status, 401);
    const badBody = (await bad.json()) as Record<string, unknown>;
    assertMatchesSpec('server-server', 'GET', '/_matrix/federation/v1/openid/userinfo', 401, badBody);
    assert.equal(badBody.errcode, 'M_UNKNOWN_TOKEN');
  });

  test('query endpoints refuse unsigned requests', async () => {
    const [hs1] = hs as [FedServer, FedServer];
    const r = await fetch(`${hs1.server.baseUrl}/_matrix/federation/v1/query/profile?user_id=${enc(alice.userId)}`);
    assert.equal(r.status, 401);
  });
});
