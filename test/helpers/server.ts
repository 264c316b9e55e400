import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../../src/config/build.js';
import type { Config } from '../../src/config/types.js';
import { createLogger, type Logger, type LogLevel } from '../../src/http/logger.js';
import { startHomeserver, type ListenAddress } from '../../src/main.js';
import { createServerDatabase, postgresTestUrl } from './storage.js';

// Boots the real server (startHomeserver, the same path `hearth start` takes) on 127.0.0.1 with a random port,
// SQLite and a fresh signing key in a temp directory that close() deletes. Integration tests build on this.
// HS_TEST_SERVER_ENGINE=postgres (with HS_TEST_POSTGRES) gives each server started here a PostgreSQL database
// of its own instead, dropped with it, so the server-level suites can be run on that engine too; a test that
// chooses its database keeps it.

export interface TestServer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  baseUrl: string;
  config: Config;
  addresses: ListenAddress[];
  /** The temp directory holding the database and the signing key. */
  dir: string;
  logger: Logger;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Log level for the server's logger; default from HS_TEST_LOG_LEVEL, else silent. */
  logLevel?: LogLevel;
}

/**
 * rc_message opened wide: tests send bursts of events that Synapse's default (0.2/s, burst 10) would throttle.
 * Spread into a raw homeserver config; test/client/rooms/write/message-rate-limit.test.ts proves the limit itself.
 */
export const GENEROUS_MESSAGE_RATE = { rc_message: { per_second: 10_000, burst_count: 100_000 } } as const;

/**
 * rc_federation opened wide: the federation suites fire bursts of requests between their servers that
 * Synapse's defaults (sleep after 10/s, refuse after 50/s per origin) would slow down or refuse.
 * test/federation/inbound/inbound-limits.test.ts proves the limits themselves.
 */
export const GENEROUS_FEDERATION_RATE = {
  rc_federation: { window_size: 1000, sleep_limit: 100_000, sleep_delay: 0, reject_limit: 100_000, concurrent: 1000 },
} as const;

/**
 * The config a test server runs with, rooted at `dir` (database, signing key and media live there): SQLite,
 * loopback on a random port, no key servers, and `overrides` on top.
 */
export function testServerConfig(dir: string, overrides: Partial<Config> = {}): Config {
  const { config: base } = buildConfig(
    {
      server_name: 'localhost',
      listeners: [
        {
          port: 0,
          type: 'http',
          bind_addresses: ['127.0.0.1'],
          resources: [{ names: ['client', 'federation'] }],
        },
      ],
      database: { name: 'sqlite3', args: { database: 'homeserver.db' } },
      signing_key_path: 'signing.key',
      media_store_path: 'media_store',
      // Tests never reach the internet, and test servers federate over loopback.
      trusted_key_servers: [],
      ip_range_blacklist: [],
      report_stats: false,
      ...GENEROUS_MESSAGE_RATE,
      ...GENEROUS_FEDERATION_RATE,
    },
    { configDir: dir, configPath: null, env: {} },
  );
  return Object.freeze({ ...base, ...overrides });
}

/** Runs the server on `config`; close() stops it and leaves `dir` alone. */
export async function bootTestServer(config: Config, dir: string, opts: TestServerOptions = {}): Promise<TestServer> {
  const level = opts.logLevel ?? (process.env.HS_TEST_LOG_LEVEL as LogLevel | undefined) ?? 'silent';
  const logger = createLogger(level);
  const server = await startHomeserver(config, logger);
  const first = server.addresses[0];
  if (!first) throw new Error('test server has no listener address');
  let closed: Promise<void> | null = null;
  return {
    baseUrl: `http://${first.host.includes(':') ? `[${first.host}]` : first.host}:${first.port}`,
    config,
    addresses: server.addresses,
    dir,
    logger,
    close() {
      closed ??= server.close();
      return closed;
    },
  };
}

/** The database HS_TEST_SERVER_ENGINE asks for, when the test did not choose one; null: SQLite in the directory. */
async function serverDatabase(overrides: Partial<Config>): Promise<{ overrides: Partial<Config>; drop(): Promise<void> }> {
  const admin = postgresTestUrl();
  if (process.env.HS_TEST_SERVER_ENGINE !== 'postgres' || admin === null || overrides.database !== undefined) return { overrides, drop: async () => undefined };
  const db = await createServerDatabase(admin);
  return { overrides: { ...overrides, database: db.config }, drop: db.drop };
}

export async function startTestServer(overrides: Partial<Config> = {}, opts: TestServerOptions = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-test-'));
  const db = await serverDatabase(overrides);
  const remove = () => rm(dir, { recursive: true, force: true }).finally(() => db.drop());
  try {
    const server = await bootTestServer(testServerConfig(dir, db.overrides), dir, opts);
    let closed: Promise<void> | null = null;
    return {
      ...server,
      close() {
        closed ??= server.close().finally(remove);
        return closed;
      },
    };
  } catch (e) {
    await remove();
    throw e;
  }
}

/**
 * A server whose directory outlives its process, for restart tests: boot() starts it (again) on the same
 * database and key; dispose() deletes the directory once the test is done.
 */
export interface RestartableServer {
  config: Config;
  boot(): Promise<TestServer>;
  dispose(): Promise<void>;
}

export async function restartableServer(overrides: Partial<Config> = {}, opts: TestServerOptions = {}): Promise<RestartableServer> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-restart-'));
  const db = await serverDatabase(overrides);
  const config = testServerConfig(dir, db.overrides);
  return {
    config,
    boot: () => bootTestServer(config, dir, opts),
    dispose: () => rm(dir, { recursive: true, force: true }).finally(() => db.drop()),
  };
}
