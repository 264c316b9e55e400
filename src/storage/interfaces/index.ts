import type { ServerName } from '../../types/ids.js';
import type { ServerKeyStore } from './server-keys.js';
import type { StreamPositionStore } from './stream-positions.js';
import type { StreamIdGenerator } from './stream-ids.js';
import type { RoomStore } from './rooms.js';
import type { AccountStore } from './accounts.js';
import type { UserDataStore } from './user-data.js';
import type { MediaStore } from './media.js';
import type { E2eStore } from './e2e.js';
import type { FederationQueueStore } from './federation.js';
import type { RelationsStore, SearchStore } from './relations.js';
import type { PushStore } from './push.js';
import type { DirectoryStore } from './directory.js';
import type { AppserviceStore } from './appservice.js';

export type { ServerKeyStore, StoredServerKey, StoredKeyResponse } from './server-keys.js';
export type { StreamPositionStore } from './stream-positions.js';
export type { StreamIdGenerator, StreamIdAllocation, StreamIdBatch } from './stream-ids.js';
export type * from './rooms.js';
export type * from './accounts.js';
export type * from './user-data.js';
export type * from './media.js';
export type * from './e2e.js';
export type * from './federation.js';
export type * from './relations.js';
export type * from './push.js';
export type * from './directory.js';
export type * from './appservice.js';

export type StorageEngine = 'sqlite' | 'postgres';

/**
 * Everything the services persist, one store per concern. Feature work adds members here
 * (events, state, accounts, ...) and implements them once in src/storage/knex.
 */
export interface Storage {
  readonly engine: StorageEngine;
  readonly serverKeys: ServerKeyStore;
  readonly streamPositions: StreamPositionStore;
  readonly rooms: RoomStore;
  readonly accounts: AccountStore;
  readonly userData: UserDataStore;
  readonly media: MediaStore;
  readonly e2e: E2eStore;
  readonly federation: FederationQueueStore;
  readonly relations: RelationsStore;
  readonly search: SearchStore;
  readonly push: PushStore;
  readonly directory: DirectoryStore;
  readonly appservices: AppserviceStore;
  /**
   * Records the server name on first use and refuses a database created for another server,
   * since every stored id and signature embeds the name.
   */
  bindServerName(serverName: ServerName): Promise<void>;
  /** The one stream id generator for `table.column` in this process (see stream-ids.ts). */
  streamIdGenerator(table: string, column: string): Promise<StreamIdGenerator>;
  /** Applies pending migrations; returns the names applied by this call (empty when up to date). */
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}
