import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { ServerName } from '../../types/ids.js';
import type { RoomStore, Storage, StorageEngine, StreamIdGenerator } from '../interfaces/index.js';
import type { Dialect } from './dialect.js';
import { runMigrations } from './migrate.js';
import { KnexServerKeyStore } from './server-key-store.js';
import { KnexStreamPositionStore } from './stream-position-store.js';
import { createStreamIdGenerator } from './stream-id-generator.js';
import { KnexRoomStore } from './room-store.js';
import { KnexAccountStore } from './account-store.js';
import { KnexUserDataStore } from './user-data-store.js';
import { KnexMediaStore } from './media-store.js';
import { KnexE2eStore } from './e2e-store.js';
import { KnexFederationQueueStore } from './federation-store.js';
import { KnexRelationsStore } from './relations-store.js';
import { KnexSearchStore } from './search-store.js';
import { KnexPushStore } from './push-store.js';
import { KnexDirectoryStore } from './directory-store.js';
import { KnexAppserviceStore } from './appservice-store.js';

const META_TABLE = 'instance_meta';
const SERVER_NAME_KEY = 'server_name';

/** Thrown when the database was created for a different server name. */
export class ServerNameMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly found: string,
  ) {
    super(`database belongs to server '${found}', but this server is configured as '${expected}'`);
    this.name = 'ServerNameMismatchError';
  }
}

/**
 * The knex implementation of Storage. `knex` and `dialect` are public so stores added by later
 * features (in this folder) can be built on the same connection.
 */
export class KnexStorage implements Storage {
  readonly engine: StorageEngine;
  readonly serverKeys: KnexServerKeyStore;
  readonly streamPositions: KnexStreamPositionStore;
  readonly rooms: RoomStore;
  readonly accounts: KnexAccountStore;
  readonly userData: KnexUserDataStore;
  readonly media: KnexMediaStore;
  readonly e2e: KnexE2eStore;
  readonly federation: KnexFederationQueueStore;
  readonly relations: KnexRelationsStore;
  readonly search: KnexSearchStore;
  readonly push: KnexPushStore;
  readonly directory: KnexDirectoryStore;
  readonly appservices: KnexAppserviceStore;
  private readonly generators = new Map<string, Promise<StreamIdGenerator>>();
  private closed: Promise<void> | null = null;

  constructor(
    readonly knex: Knex,
    readonly dialect: Dialect,
    private readonly logger: Logger,
    /** Runs before the connections close (the SQLite checkpoint worker's stop). */
    private readonly beforeClose?: () => Promise<void>,
  ) {
    this.engine = dialect.engine;
    this.serverKeys = new KnexServerKeyStore(knex, dialect);
    this.streamPositions = new KnexStreamPositionStore(knex);
    this.rooms = new KnexRoomStore(knex, dialect);
    this.accounts = new KnexAccountStore(knex, dialect);
    this.userData = new KnexUserDataStore(knex, dialect);
    this.media = new KnexMediaStore(knex, dialect);
    this.e2e = new KnexE2eStore(knex, dialect);
    this.federation = new KnexFederationQueueStore(knex, dialect);
    this.relations = new KnexRelationsStore(knex, dialect);
    this.search = new KnexSearchStore(knex, dialect);
    this.push = new KnexPushStore(knex, dialect);
    this.directory = new KnexDirectoryStore(knex, dialect);
    this.appservices = new KnexAppserviceStore(knex, dialect);
  }

  migrate(): Promise<string[]> {
    return runMigrations(this.knex, this.logger);
  }

  /**
   * The one stream id generator for `table.column` in this process. Cached because two
   * generators for the same stream would hand out the same ids.
   */
  streamIdGenerator(table: string, column: string): Promise<StreamIdGenerator> {
    const key = `${table}.${column}`;
    let generator = this.generators.get(key);
    if (generator === undefined) {
      generator = createStreamIdGenerator(this.knex, table, column, this.logger);
      // A failed seed (e.g. table missing) must not be cached forever.
      generator.catch(() => this.generators.delete(key));
      this.generators.set(key, generator);
    }
    return generator;
  }

  async bindServerName(serverName: ServerName): Promise<void> {
    // The write comes first, outside a read transaction: two processes starting on one new SQLite database
    // would otherwise both read "no row" and the second's insert would fail at once with SQLITE_BUSY (a read
    // transaction cannot become a write one after another connection wrote; busy_timeout does not apply).
    // Inserting only if absent, then reading, leaves whoever inserted first as the owner.
    await this.knex(META_TABLE).insert({ meta_key: SERVER_NAME_KEY, meta_value: serverName, updated_ts: Date.now() }).onConflict('meta_key').ignore();
    const row: { meta_value: string } | undefined = await this.knex(META_TABLE).select('meta_value').where({ meta_key: SERVER_NAME_KEY }).first();
    if (row !== undefined && row.meta_value !== serverName) throw new ServerNameMismatchError(serverName, row.meta_value);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.beforeClose?.();
      await this.knex.destroy();
    })();
    return this.closed;
  }
}
