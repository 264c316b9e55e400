import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createAuthService } from '../../../src/auth/index.js';
import type { KnexStorage } from '../../../src/storage/knex/index.js';
import type { DeviceId, UserId } from '../../../src/types/ids.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { describeStorage } from '../../helpers/storage.js';

// The real server on each database engine (SQLite; Postgres with HS_TEST_POSTGRES): /search finds a message
// through that engine's full-text index, and not one the user may not see.

type Json = Record<string, unknown>;

describeStorage('/search through the real server', (h) => {
  let server: TestServer;
  let storage: KnexStorage;
  const tokens = new Map<string, string>();

  before(async () => {
    const db = await h.createDatabase();
    server = await startTestServer({ database: db.config });
    storage = await db.open({ migrate: false });
    const auth = createAuthService({ config: server.config, logger: server.logger, storage, now: Date.now });
    for (const name of ['alice', 'bob']) {
      const userId = `@${name}:${server.config.serverName}` as UserId;
      const deviceId = `D${name}` as DeviceId;
      await storage.accounts.createUser({ userId, passwordHash: null, createdTs: Date.now() });
      await storage.accounts.ensureDevice(userId, deviceId, null, Date.now());
      tokens.set(name, (await auth.issueTokens(userId, deviceId, false)).accessToken);
    }
  });
  after(async () => {
    await server.close();
  });

  async function call(who: string, method: string, path: string, body?: unknown): Promise<Json> {
    const res = await fetch(`${server.baseUrl}/_matrix/client${path}`, {
      method,
      headers: { Authorization: `Bearer ${tokens.get(who) ?? ''}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Json;
    assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  }

  test('finds a message, and nothing in a room the user is not in', async () => {
    const { room_id: roomId } = (await call('alice', 'POST', '/v3/createRoom', { preset: 'private_chat' })) as { room_id: string };
    const { event_id: eventId } = (await call('alice', 'PUT', `/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`, {
      msgtype: 'm.text',
      body: 'Searching for the hidden treasures',
    })) as { event_id: string };

    const found = await call('alice', 'POST', '/v3/search', { search_categories: { room_events: { search_term: 'treasure' } } });
    assertMatchesSpec('client-server', 'post', '/_matrix/client/v3/search', 200, found);
    const results = ((found.search_categories as Json).room_events as Json).results as Json[];
    assert.deepEqual(results.map((r) => (r.result as Json).event_id), [eventId], 'stemmed / prefix match');

    const hidden = await call('bob', 'POST', '/v3/search', { search_categories: { room_events: { search_term: 'treasure' } } });
    assert.deepEqual(((hidden.search_categories as Json).room_events as Json).results, []);
  });
});
