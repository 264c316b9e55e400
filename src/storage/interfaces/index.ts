import type { ServerName } from '../../types/ids.js';
import type { ServerKeyStore } from './server-keys.js';
import type { StreamPositionStore } from './stream-positions.js';

export type { ServerKeyStore, StoredServerKey, StoredKeyResponse } from './server-keys.js';
export type { StreamPositionStore } from './stream-positions.js';
export type { StreamIdGenerator, StreamIdAllocation, StreamIdBatch } from './stream-ids.js';

export type StorageEngine = 'sqlite' | 'postgres';

/**
 * Everything the services persist, one store per concern. Feature work adds members here
 * (events, state, accounts, ...) and implements them once in src/storage/knex.
 */
export interface Storage {
  readonly engine: StorageEngine;
  readonly serverKeys: ServerKeyStore;
  readonly streamPositions: StreamPositionStore;
  /**
   * Records the server name on first use and refuses a database created for another server,
   * since every stored id and signature embeds the name.
   */
  bindServerName(serverName: ServerName): Promise<void>;
  /** Applies pending migrations; returns the names applied by this call (empty when up to date). */
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}
