import { GENEROUS_MESSAGE_RATE } from '../helpers/server.js';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildConfig } from '../../src/config/build.js';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/http/logger.js';
import { startHomeserver, addressUrl, type Homeserver } from '../../src/main.js';
import { registerUser, TEST_USER_CONFIG, type RegisteredUser } from '../helpers/users.js';
import { assertMatchesSpec } from '../helpers/spec-schemas.js';
import { startFakeAppservice, waitFor, type FakeAppservice } from './fake-appservice.js';

// Application service delivery end to end against the real server: as_token requests and masquerading,
// transactions with the hs_token, ordering and exactly-once delivery across an outage and a homeserver restart.

const AS_TOKEN = 'as-token-transactions-test';
const HS_TOKEN = 'hs-token-transactions-test';

interface Running {
  hs: Homeserver;
  baseUrl: string;
  config: Config;
}

async function boot(dir: string, registrationPath: string): Promise<Running> {
  const { config: base } = buildConfig(
    {
      server_name: 'localhost',
      listeners: [{ port: 0, type: 'http', bind_addresses: ['127.0.0.1'], resources: [{ names: ['client'] }] }],
      database: { name: 'sqlite3', args: { database: 'homeserver.db' } },
      signing_key_path: 'signing.key',
      media_store_path: 'media_store',
      trusted_key_servers: [],
      report_stats: false,
      ...GENEROUS_MESSAGE_RATE,
      app_service_config_files: [registrationPath],
    },
    { configDir: dir, configPath: null, env: {} },
  );
  const config: Config = Object.freeze({ ...base, ...TEST_USER_CONFIG });
  const hs = await startHomeserver(config, createLogger('silent'));
  const first = hs.addresses[0];
  if (!first) throw new Error('no address');
  return { hs, baseUrl: addressUrl(first), config };
}

async function call(baseUrl: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('application service transactions', () => {
  let dir: string;
  let fake: FakeAppservice;
  let server: Running;
  let alice: RegisteredUser;
  let roomId: string;
  let regPath: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-as-'));
    fake = await startFakeAppservice(HS_TOKEN);
    regPath = join(dir, 'bridge.yaml');
    await writeFile(
      regPath,
      [
        'id: testbridge',
        `url: ${fake.url}`,
        `as_token: ${AS_TOKEN}`,
        `hs_token: ${HS_TOKEN}`,
        'sender_localpart: testbridgebot',
        'rate_limited: false',
        'receive_ephemeral: true',
        'namespaces:',
        '  users:',
        '    - regex: "@_test_.*:localhost"',
        '      exclusive: true',
        '  aliases:',
        '    - regex: "#_test_.*:localhost"',
        '      exclusive: true',
        '',
      ].join('\n'),
    );
    server = await boot(dir, regPath);
    alice = await registerUser(server.baseUrl, server.config, 'alice');
  });

  after(async () => {
    await server.hs.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the as_token acts as the sender user and registers namespace users; masquerading outside the namespace is 403', async () => {
    const who = await call(server.baseUrl, 'GET', '/_matrix/client/v3/account/whoami', AS_TOKEN);
    assert.equal(who.status, 200);
    assert.equal(who.body.user_id, '@testbridgebot:localhost');
    const reg = await call(server.baseUrl, 'POST', '/_matrix/client/v3/register', AS_TOKEN, { type: 'm.login.application_service', username: '_test_ghost', inhibit_login: true });
    assert.equal(reg.status, 200, JSON.stringify(reg.body));
    assert.equal(reg.body.user_id, '@_test_ghost:localhost');
    const outside = await call(server.baseUrl, 'POST', '/_matrix/client/v3/register', AS_TOKEN, { type: 'm.login.application_service', username: 'notmine' });
    assert.equal(outside.body.errcode, 'M_EXCLUSIVE');
    const asGhost = await call(server.baseUrl, 'GET', '/_matrix/client/v3/account/whoami?user_id=%40_test_ghost%3Alocalhost', AS_TOKEN);
    assert.equal(asGhost.body.user_id, '@_test_ghost:localhost');
    const forbidden = await call(server.baseUrl, 'GET', `/_matrix/client/v3/account/whoami?user_id=${encodeURIComponent(alice.userId)}`, AS_TOKEN);
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.errcode, 'M_FORBIDDEN');
    const badDevice = await call(server.baseUrl, 'GET', '/_matrix/client/v3/account/whoami?user_id=%40_test_ghost%3Alocalhost&device_id=NOPE', AS_TOKEN);
    assert.equal(badDevice.status, 400);
    assert.equal(badDevice.body.errcode, 'M_UNKNOWN_DEVICE');
  });

  it('normal registration of an exclusive name is M_EXCLUSIVE', async () => {
    const res = await fetch(`${server.baseUrl}/_matrix/client/v3/register/available?username=_test_someone`);
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { errcode: string }).errcode, 'M_EXCLUSIVE');
  });

  it('ping reaches the service and reports duration_ms; another service id is M_FORBIDDEN', async () => {
    const ok = await call(server.baseUrl, 'POST', '/_matrix/client/v1/appservice/testbridge/ping', AS_TOKEN, { transaction_id: 'ping-1' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(typeof ok.body.duration_ms, 'number');
    assertMatchesSpec('client-server', 'post', '/_matrix/client/v1/appservice/{appserviceId}/ping', 200, ok.body);
    assert.deepEqual(fake.pings.at(-1), { transaction_id: 'ping-1' });
    const other = await call(server.baseUrl, 'POST', '/_matrix/client/v1/appservice/other/ping', AS_TOKEN, {});
    assert.equal(other.status, 403);
    fake.status = 500;
    const bad = await call(server.baseUrl, 'POST', '/_matrix/client/v1/appservice/testbridge/ping', AS_TOKEN, {});
    fake.status = 200;
    assert.equal(bad.status, 502);
    assert.equal(bad.body.errcode, 'M_BAD_STATUS');
    assert.equal(bad.body.status, 500);
  });

  it('a message in a room with a namespace user reaches the service with the hs_token', async () => {
    const created = await call(server.baseUrl, 'POST', '/_matrix/client/v3/createRoom', alice.accessToken, { preset: 'public_chat' });
    roomId = created.body.room_id as string;
    const join = await call(server.baseUrl, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?user_id=%40_test_ghost%3Alocalhost`, AS_TOKEN, {});
    assert.equal(join.status, 200, JSON.stringify(join.body));
    const sent = await call(server.baseUrl, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`, alice.accessToken, { msgtype: 'm.text', body: 'hello bridge' });
    await waitFor(() => fake.events.some((e) => e.event_id === sent.body.event_id), 10_000, 'the message transaction');
    assert.ok(fake.puts.every((p) => p.auth === `Bearer ${HS_TOKEN}`));
    const ev = fake.events.find((e) => e.event_id === sent.body.event_id);
    assert.equal(ev?.room_id, roomId);
    assert.equal(ev?.sender, alice.userId);
  });

  it('an unknown namespace user or alias is asked of the service, which creates it on demand', async () => {
    fake.onUserQuery = async (userId) => {
      const r = await call(server.baseUrl, 'POST', '/_matrix/client/v3/register', AS_TOKEN, { type: 'm.login.application_service', username: userId.slice(1).split(':')[0], inhibit_login: true });
      return r.status === 200 ? 200 : 404;
    };
    const profile = await fetch(`${server.baseUrl}/_matrix/client/v3/profile/${encodeURIComponent('@_test_ondemand:localhost')}`);
    assert.equal(profile.status, 200);
    const missing = await fetch(`${server.baseUrl}/_matrix/client/v3/profile/${encodeURIComponent('@nobody:localhost')}`);
    assert.equal(missing.status, 404);

    fake.onAliasQuery = async (alias) => {
      if (alias !== '#_test_portal:localhost') return 404;
      const r = await call(server.baseUrl, 'POST', '/_matrix/client/v3/createRoom', AS_TOKEN, { room_alias_name: alias.slice(1).split(':')[0] });
      return r.status === 200 ? 200 : 404;
    };
    const resolved = await call(server.baseUrl, 'GET', `/_matrix/client/v3/directory/room/${encodeURIComponent('#_test_portal:localhost')}`, alice.accessToken);
    assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
    assert.match(String(resolved.body.room_id), /^!/);
    const unknown = await call(server.baseUrl, 'GET', `/_matrix/client/v3/directory/room/${encodeURIComponent('#_test_none:localhost')}`, alice.accessToken);
    assert.equal(unknown.status, 404);
  });

  it('users cannot create aliases in an exclusive namespace', async () => {
    const r = await call(server.baseUrl, 'PUT', `/_matrix/client/v3/directory/room/${encodeURIComponent('#_test_mine:localhost')}`, alice.accessToken, { room_id: roomId });
    assert.equal(r.status, 400);
    assert.equal(r.body.errcode, 'M_EXCLUSIVE');
  });

  it('typing and receipts arrive as ephemeral events', async () => {
    await call(server.baseUrl, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.userId)}`, alice.accessToken, { typing: true, timeout: 30000 });
    await waitFor(() => fake.ephemeral.some((e) => e.type === 'm.typing' && e.room_id === roomId), 10_000, 'typing');
  });

  it('the admin view shows queue state per service', async () => {
    const admin = await registerUser(server.baseUrl, server.config, 'opadmin', { admin: true });
    const r = await call(server.baseUrl, 'GET', '/_synapse/admin/v1/appservices', admin.accessToken);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const list = r.body.appservices as Array<Record<string, unknown>>;
    assert.equal(list[0]?.id, 'testbridge');
    assert.equal(typeof list[0]?.lastSuccessTs, 'number');
    assert.equal(list[0]?.pendingTransactions, 0);
    const denied = await call(server.baseUrl, 'GET', '/_synapse/admin/v1/appservices', alice.accessToken);
    assert.equal(denied.status, 403);
  });

  it('an outage and a homeserver restart lose and duplicate nothing: 200 messages in order', async () => {
    fake.status = 503;
    const before = fake.events.length;
    const sentIds: string[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await call(server.baseUrl, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/bulk${i}`, alice.accessToken, { msgtype: 'm.text', body: `m${i}` });
      sentIds.push(r.body.event_id as string);
    }
    await server.hs.close();
    server = await boot(dir, regPath);
    for (let i = 100; i < 200; i++) {
      const r = await call(server.baseUrl, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/bulk${i}`, alice.accessToken, { msgtype: 'm.text', body: `m${i}` });
      sentIds.push(r.body.event_id as string);
    }
    fake.status = 200;
    // The service shows it is back by making a request: the queue retries at once instead of waiting out its backoff.
    await call(server.baseUrl, 'GET', '/_matrix/client/v3/account/whoami', AS_TOKEN);
    await waitFor(() => fake.events.length - before >= 200, 30_000, '200 events');
    await new Promise((r) => setTimeout(r, 300));
    const got = fake.events.slice(before).map((e) => e.event_id as string);
    assert.deepEqual(got, sentIds);
    // Retries resent the same txn ids with the same bodies.
    const byId = new Map<string, string>();
    for (const p of fake.puts) {
      const prev = byId.get(p.txnId);
      const text = JSON.stringify(p.body);
      if (prev !== undefined) assert.equal(prev, text, `txn ${p.txnId} changed between retries`);
      byId.set(p.txnId, text);
    }
  });
});
