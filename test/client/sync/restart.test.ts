import { GENEROUS_MESSAGE_RATE } from '../../helpers/server.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../../../src/config/build.js';
import type { Config } from '../../../src/config/types.js';
import { createLogger } from '../../../src/http/logger.js';
import { addressUrl, startHomeserver } from '../../../src/main.js';
import { registerUser, TEST_USER_CONFIG } from '../../helpers/users.js';
import type { TestServer } from '../../helpers/server.js';
import { apiWithToken, createRoom, send, sync, type J } from './helpers.js';

// Sync tokens are stream positions stored in the database, so a token from before a restart keeps working.

async function boot(config: Config): Promise<TestServer> {
  const logger = createLogger('silent');
  const hs = await startHomeserver(config, logger);
  const first = hs.addresses[0];
  if (!first) throw new Error('no address');
  return { baseUrl: addressUrl(first), config, addresses: hs.addresses, dir: '', logger, close: () => hs.close() };
}

test('a since token from before a restart gives exactly the events after it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-sync-restart-'));
  try {
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
      },
      { configDir: dir, configPath: null, env: {} },
    );
    const config = Object.freeze({ ...base, ...TEST_USER_CONFIG }) as Config;
    let server = await boot(config);
    const user = await registerUser(server.baseUrl, config, 'alice');
    let alice = apiWithToken(server, user);
    const roomId = await createRoom(alice);
    await send(alice, roomId, 'before');
    await alice.ok('PUT', `/v3/user/${encodeURIComponent(user.userId)}/account_data/org.example.k`, { v: 1 });
    const before: J = await sync(alice);
    await server.close();

    server = await boot(config);
    alice = apiWithToken(server, user);
    const nothing: J = await sync(alice, { since: before.next_batch });
    assert.deepEqual(nothing.rooms.join, {});
    assert.deepEqual(nothing.account_data.events, []);
    const eventId = await send(alice, roomId, 'after');
    const next: J = await sync(alice, { since: before.next_batch });
    assert.deepEqual(next.rooms.join[roomId].timeline.events.map((e: J) => e.event_id), [eventId]);
    await server.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
