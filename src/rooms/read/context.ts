import type { Config } from '../../config/types.js';
import type { Logger } from '../../http/logger.js';
import type { RoomStore, Storage } from '../../storage/interfaces/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import type { PublicRoomsParams, PublicRoomsResponse } from './directory-types.js';
import { readExtras, type RoomReadExtras } from './store-extras.js';
import { serializeEvents, type RelationsBundler } from './serialize.js';
import type { ClientEvent } from '../../protocol/index.js';
import type { StoredEvent } from '../../storage/interfaces/index.js';
import type { Requester } from '../../types/requester.js';

// What every part of the room reader shares: the store, config, clock, and the highest events position that is
// safe to serve (the events generator's currentToken(): every lower id committed).

/**
 * Other servers' directories over federation (query/directory, /publicRooms). Implementations throw
 * MatrixError: 404 for an unknown alias, 502 when the server cannot be reached.
 */
export interface RemoteDirectoryPort {
  resolveAlias(alias: string): Promise<{ room_id: RoomId; servers: string[] }>;
  publicRooms(server: string, params: Omit<PublicRoomsParams, 'server'>): Promise<PublicRoomsResponse>;
}

export interface RoomReaderDeps {
  storage: Storage;
  config: Config;
  logger: Logger;
  now: () => number;
  /** Without it, other servers' aliases are 404 and their directories 502. */
  remoteDirectory?: RemoteDirectoryPort;
  /** Application services: asked about unknown aliases in their namespaces; exclusive alias namespaces. */
  appserviceAliases?: AppserviceAliasPort;
  /** Server-side aggregations (unsigned.m.relations) for the events served; wired to the relations service. */
  bundleRelations?: RelationsBundler;
  /** Without it, /messages ends at the oldest event this server holds. */
  remoteHistory?: RemoteHistoryPort;
}

/**
 * Older history from the other servers of a room (federation /backfill), wired in main.ts: asked when a client
 * pages back past the oldest event we hold. True when events were added (below every stream ordering).
 */
export interface RemoteHistoryPort {
  fetchOlderHistory(roomId: RoomId): Promise<boolean>;
}

export interface AppserviceAliasPort {
  /** True when a service answered that it created the alias (GET /_matrix/app/v1/rooms/{alias}). */
  queryAlias(alias: string): Promise<boolean>;
  /** The id of the service holding the alias in an exclusive namespace, if any. */
  exclusiveOwner(alias: string): string | undefined;
}

export interface ReaderContext {
  readonly store: RoomStore;
  readonly extras: Partial<RoomReadExtras>;
  readonly config: Config;
  readonly logger: Logger;
  readonly now: () => number;
  readonly remoteDirectory: RemoteDirectoryPort | undefined;
  readonly appserviceAliases: AppserviceAliasPort | undefined;
  /** Rooms application services published to their network room lists (both null: every service's). */
  networkListedRooms(asId: string | null, networkId: string | null): Promise<RoomId[]>;
  readonly remoteHistory: RemoteHistoryPort | undefined;
  /** The highest events position readers may serve. */
  maxPosition(): Promise<number>;
  /** Users whose non-state events `userId` ignores (m.ignored_user_list account data). */
  ignoredUsers(userId: UserId): Promise<ReadonlySet<string>>;
  /** Client formatting of events for `requester`, with bundled aggregations when configured. */
  serializerFor(requester: Requester): (events: readonly StoredEvent[]) => Promise<ClientEvent[]>;
}

export function readerContext(deps: RoomReaderDeps): ReaderContext {
  const store = deps.storage.rooms;
  return {
    store,
    extras: readExtras(store),
    config: deps.config,
    logger: deps.logger,
    now: deps.now,
    remoteDirectory: deps.remoteDirectory,
    appserviceAliases: deps.appserviceAliases,
    networkListedRooms: (asId, networkId) => deps.storage.appservices.getListedRooms(asId, networkId),
    remoteHistory: deps.remoteHistory,
    async maxPosition() {
      // MAX(stream_ordering) can run ahead of a write still in flight below it; the generator knows.
      const [max, generator] = await Promise.all([
        store.getMaxStreamOrdering(),
        deps.storage.streamIdGenerator('events', 'stream_ordering'),
      ]);
      return Math.min(max, generator.currentToken());
    },
    serializerFor(requester) {
      const viewer = { userId: requester.userId, deviceId: requester.deviceId };
      return (events) =>
        serializeEvents(events, {
          store,
          now: deps.now(),
          requester: viewer,
          ...(deps.bundleRelations ? { bundleRelations: deps.bundleRelations } : {}),
        });
    },
    async ignoredUsers(userId) {
      const row = await deps.storage.userData.getAccountData(userId, '', 'm.ignored_user_list');
      const list = row?.content.ignored_users;
      return new Set(typeof list === 'object' && list !== null && !Array.isArray(list) ? Object.keys(list) : []);
    },
  };
}
