import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../../src/config/build.js';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/http/logger.js';
import type { Services } from '../../src/http/services.js';
import { startHomeserver } from '../../src/main.js';
import { createPostgresDatabase, type Engine } from './engines.js';
import { openRateLimits, SHARED_SECRET } from './server.js';

// Homeservers of a federation benchmark: in this process, federating with each other by name over loopback
// (one shared, mutable federation_test_overrides map, filled in as each server learns its random port).

export interface FedBenchServer {
  name: string;
  baseUrl: string;
  /** The server's own services (same process), for building large fixtures fast. */
  services: Services;
  close(): Promise<void>;
}

export interface FedBenchOptions {
  /** Extra homeserver.yaml keys (e.g. turning partial-state joins off). */
  extra?: Record<string, unknown>;
}

export async function startFedBenchServer(
  name: string,
  engine: Engine,
  overrides: Record<string, string>,
  opts: FedBenchOptions = {},
): Promise<FedBenchServer> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-bench-fed-'));
  const pgDb = engine === 'postgres' ? await createPostgresDatabase() : null;
  try {
    const database = pgDb
      ? { name: 'psycopg2', args: { dsn: pgDb.url, cp_min: 1, cp_max: 10 } }
      : { name: 'sqlite3', args: { database: 'homeserver.db' } };
    const { config: base } = buildConfig(
      {
        server_name: name,
        listeners: [{ port: 0, type: 'http', bind_addresses: ['127.0.0.1'], resources: [{ names: ['client', 'federation'] }] }],
        database,
        signing_key_path: 'signing.key',
        media_store_path: 'media_store',
        trusted_key_servers: [],
        // Loopback peers only.
        ip_range_blacklist: [],
        report_stats: false,
        registration_shared_secret: SHARED_SECRET,
        bcrypt_rounds: 4,
        ...openRateLimits(),
        ...opts.extra,
      },
      { configDir: dir, configPath: null, env: {} },
    );
    const config: Config = Object.freeze({ ...base, federationTestOverrides: overrides });
    const hs = await startHomeserver(config, createLogger('error'));
    const first = hs.addresses[0];
    if (!first) throw new Error('no listener');
    overrides[name] = `${first.host}:${first.port}`;
    return {
      name,
      baseUrl: `http://${first.host}:${first.port}`,
      services: hs.services,
      async close() {
        await hs.close();
        await rm(dir, { recursive: true, force: true });
        await pgDb?.drop();
      },
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    await pgDb?.drop();
    throw e;
  }
}
