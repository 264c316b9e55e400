import type { Config } from './config/types.js';
import { loadOrCreateSigningKeys } from './config/signing-keys.js';
import type { Logger } from './http/logger.js';
import { startListeners } from './http/listeners.js';
import { openStorage } from './storage/knex/index.js';

// The composition root: the only place that builds services and wires them together. Everything it builds is
// handed what it needs; nothing reaches for globals.

export interface ListenAddress {
  host: string;
  port: number;
  tls: boolean;
}

export interface Homeserver {
  addresses: ListenAddress[];
  /** Stops accepting requests, ends open connections, then closes the database. Safe to call twice. */
  close(): Promise<void>;
}

/** `http://127.0.0.1:8008`, with IPv6 hosts bracketed. */
export function addressUrl(a: ListenAddress): string {
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `${a.tls ? 'https' : 'http'}://${host}:${a.port}`;
}

export async function startHomeserver(config: Config, logger: Logger): Promise<Homeserver> {
  const startedAt = performance.now();
  const storage = await openStorage(config.database, logger);
  try {
    await storage.migrate();
    // A database holds one server's rooms and users; refuse to serve it under another name.
    await storage.bindServerName(config.serverName);

    const { keys, created } = loadOrCreateSigningKeys(config.signingKeyPath);
    if (created) logger.warn({ path: config.signingKeyPath, keyId: keys[0]?.keyId }, 'generated a new signing key');

    const listeners = await startListeners({ config, logger, signingKeys: keys }, config.listeners);
    logger.info(
      {
        serverName: config.serverName,
        urls: listeners.addresses.map(addressUrl),
        startupMs: Math.round(performance.now() - startedAt),
      },
      'homeserver started',
    );

    let closing: Promise<void> | null = null;
    return {
      addresses: listeners.addresses,
      close() {
        closing ??= (async () => {
          try {
            await listeners.close();
          } finally {
            await storage.close();
            logger.info('homeserver stopped');
          }
        })();
        return closing;
      },
    };
  } catch (e) {
    await storage.close();
    throw e;
  }
}

/** The `migrate` command: bring the schema up to date (binding the database to our server name) and close. */
export async function migrateDatabase(config: Config, logger: Logger): Promise<string[]> {
  const storage = await openStorage(config.database, logger);
  try {
    const applied = await storage.migrate();
    await storage.bindServerName(config.serverName);
    return applied;
  } finally {
    await storage.close();
  }
}
