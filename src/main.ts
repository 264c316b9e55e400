import { readFileSync } from 'node:fs';
import type { Config } from './config/types.js';
import { bridgeRegistrationFiles } from './config/bridges.js';
import { loadOrCreateSigningKeys } from './config/signing-keys.js';
import type { Logger } from './http/logger.js';
import { startListeners } from './http/listeners.js';
import { openStorage } from './storage/knex/index.js';
import { createAuthService } from './auth/index.js';
import { createMediaService } from './media/index.js';
import { createRoomReader, createRoomService, DEFAULT_STATE_GROUP_GC_INTERVAL_MS } from './rooms/index.js';
import { createSyncService } from './sync/index.js';
import { createAccountDataService } from './users/account-data/index.js';
import { createUserService, type UserService } from './users/index.js';
import { createFederationService } from './federation/outbound/index.js';
import { createFederationRoomsService, type FederationRoomsService } from './federation/rooms/index.js';
import { createE2eService, e2eSyncExtensions } from './users/e2e/index.js';
import { createSpacesService } from './rooms/index.js';
import { createOpenIdService, createUserDirectoryService } from './users/directory/index.js';
import { createModerationService } from './moderation/index.js';
import type { Services } from './http/services.js';
import type { RoomService } from './rooms/index.js';
import type { Storage } from './storage/interfaces/index.js';
import type { SigningKey } from './crypto/index.js';
import { createInProcessNoticeHub } from './workers/notice-hub.js';
import { createEduHandler, createEduSender, createRemoteKeys } from './federation/edus/index.js';
import { createRemoteLookups, createRemoteMediaFetcher } from './federation/queries/index.js';
import { ALLOW_ALL_IPS, createHttpTransport } from './federation/outbound/index.js';
import { InboundFederationLimits } from './federation/inbound/index.js';
import { createRelationsIndexer, createRelationsService, createSearchIndexer, createSearchService } from './rooms/index.js';
import { createAppserviceService, loadRegistrations, registrationFilesIn } from './appservice/index.js';
import { resolve as resolvePath } from 'node:path';
import { createPushRulesService, createPushService, unreadCountsDecorator } from './push/index.js';

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
  /** The services the listeners call; for in-process tools (benchmarks) that drive the server directly. */
  readonly services: Services;
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

    const { services, stopIndexing } = buildServices(config, logger, storage, keys);
    await services.appservices.start();
    services.rooms.stateGroupGc.start(config.stateGroupGcIntervalMs ?? DEFAULT_STATE_GROUP_GC_INTERVAL_MS);
    const listeners = await startListeners({ config, logger, signingKeys: keys, services }, config.listeners);
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
      services,
      close() {
        closing ??= (async () => {
          try {
            await listeners.close();
            await services.rooms.stateGroupGc.stop();
            services.sync.close();
            // The stream followers finish the batch in flight before the database closes under them: a batch
            // cut off by the closing pool is redone at the next start, but logs errors and, in-process, leaves
            // a query waiting out the pool's acquire timeout.
            await Promise.all([services.push.close(), services.federationRooms.close(), stopIndexing()]);
            await services.appservices.close();
            await services.federation.close();
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

/**
 * Builds every service. Services that need each other get narrow ports (closures over the finished
 * `services` object), so no service imports another's implementation and the import graph stays acyclic.
 */
function buildServices(config: Config, logger: Logger, storage: Storage, keys: SigningKey[]): { services: Services; stopIndexing: () => Promise<void> } {
  const now = () => Date.now();
  const notices = createInProcessNoticeHub(logger.child({ component: 'notices' }));
  const signingKey = keys[0];
  if (!signingKey) throw new Error('no signing key');
  let users: UserService | null = null;
  let rooms: RoomService | null = null;
  let federationRooms: FederationRoomsService | null = null;
  const need = <T>(s: T | null, name: string): T => {
    if (s === null) throw new Error(`${name} service used before it was built`);
    return s;
  };
  const auth = createAuthService({ config, logger: logger.child({ component: 'auth' }), storage, now });
  users = createUserService({
    config,
    logger: logger.child({ component: 'users' }),
    storage,
    notices,
    now,
    auth,
    // Remote users' profiles through federation (the service is built below; asked only at request time).
    remoteProfiles: { query: (userId, field) => createRemoteLookups(federation.client).profiles.query(userId, field) },
    rooms: {
      propagateProfile: (userId) => need(rooms, 'rooms').propagateProfile(userId),
      leaveAllRooms: (userId) => need(rooms, 'rooms').leaveAllRooms(userId),
    },
  });
  // The relations and search indexes follow the events stream (reads catch their indexer up first); the room
  // writer's commits write their own events' relations and tell that indexer so (relations/indexer.ts).
  const relationsIndexer = createRelationsIndexer({ storage, logger: logger.child({ component: 'relations-index' }) });
  const searchIndexer = createSearchIndexer({ storage, logger: logger.child({ component: 'search-index' }) });
  rooms = createRoomService({
    remoteMembership: {
      join: (userId, roomId, servers, content) => need(federationRooms, 'federationRooms').joinRemoteRoom(userId, roomId, servers, content),
      leave: (userId, roomId, servers, content) => need(federationRooms, 'federationRooms').leaveRemoteRoom(userId, roomId, servers, content),
      knock: (userId, roomId, servers, content) => need(federationRooms, 'federationRooms').knockRemoteRoom(userId, roomId, servers, content),
      resolveAlias: (alias) => createRemoteLookups(federation.client).directory.resolveAlias(alias),
      invite: (roomId, version, event, state) => need(federationRooms, 'federationRooms').inviteRemoteUser(roomId, version, event, state),
    },
    config,
    logger: logger.child({ component: 'rooms' }),
    storage,
    signingKey,
    notices,
    now,
    profiles: {
      getProfile: (userId) => need(users, 'users').getProfile(userId),
    },
    // Push actions are written in the room writer's transaction (the push service is built below).
    pushActions: { evaluate: (events, rooms) => services.push.evaluateForCommit(events, rooms) },
    indexAdvanced: (from, to) => relationsIndexer.advanced(from, to),
  });
  const stopIndexers = [relationsIndexer.follow(notices), searchIndexer.follow(notices)];
  const stopIndexing = async () => {
    await Promise.all(stopIndexers.map((stop) => stop()));
  };
  // Extra CAs for outbound federation TLS (federation_custom_ca_list): read once at boot.
  const federationCa = (config.federationCustomCaList ?? []).map((p) => readFileSync(p));
  const federation = createFederationService({ config, logger: logger.child({ component: 'federation' }), storage, signingKeys: keys, now, caCertificates: federationCa });
  federationRooms = createFederationRoomsService({
    config,
    logger: logger.child({ component: 'federation-rooms' }),
    storage,
    signingKey,
    federation,
    rooms: rooms.remote,
    notices,
    now,
  });
  const pushRules = createPushRulesService({ storage, notices });
  const services: Services = {
    auth,
    users,
    rooms,
    roomReader: createRoomReader({
      config,
      appserviceAliases: {
        queryAlias: (alias) => services.appservices.queryAlias(alias),
        exclusiveOwner: (alias) => services.appservices.registry.exclusiveOwnerOfAlias(alias)?.id,
      },
      logger: logger.child({ component: 'room-reader' }),
      storage,
      now,
      remoteDirectory: createRemoteLookups(federation.client).directory,
      bundleRelations: (events, viewer) => services.relations.aggregations(events, viewer),
      remoteHistory: { fetchOlderHistory: (roomId) => need(federationRooms, 'federationRooms').fetchOlderHistory(roomId) },
    }),
    sync: createSyncService({
      config,
      logger: logger.child({ component: 'sync' }),
      storage,
      notices,
      now,
      bundleRelations: (events, viewer, shared) => services.relations.aggregations(events, viewer, shared),
    }),
    accountData: createAccountDataService({ storage, notices }),
    media: createMediaService({
      config,
      logger: logger.child({ component: 'media' }),
      storage,
      now,
      // Other servers' media through the federation media API, on a transport of its own (bodies up to the upload limit).
      remote: createRemoteMediaFetcher({
        serverName: config.serverName,
        signingKey,
        resolver: federation.resolver,
        transport: createHttpTransport({ ca: federationCa }),
        // ip_range_blacklist / ip_range_whitelist, read once by the federation service.
        ipPolicy: federation.ipPolicy,
        allowAllIps: ALLOW_ALL_IPS,
        verifyCertificates: config.federationVerifyCertificates,
        maxBytes: config.maxUploadSize,
        logger: logger.child({ component: 'remote-media' }),
      }),
    }),
    federation,
    federationRooms,
    e2e: createE2eService({ config, logger: logger.child({ component: 'e2e' }), storage, notices, now, deviceEvents: users, remote: createRemoteKeys(federation.client, federation.sender) }),
    relations: createRelationsService({ storage, indexer: relationsIndexer, now }),
    search: createSearchService({ storage, indexer: searchIndexer, now }),
    spaces: createSpacesService({
      storage,
      serverName: config.serverName,
      now,
      fetchRemoteHierarchy: (roomId, servers, suggestedOnly) => createRemoteLookups(federation.client).hierarchy(roomId, servers, suggestedOnly),
      resolveRemoteAlias: (alias) => createRemoteLookups(federation.client).directory.resolveAlias(alias),
    }),
    userDirectory: createUserDirectoryService({ storage, searchAllUsers: config.userDirectorySearchAllUsers ?? false }),
    moderation: createModerationService({ storage, now, serverName: config.serverName, forgetCachedTokens: (userId) => auth.forgetCachedTokens(userId) }),
    openid: createOpenIdService({ storage, serverName: config.serverName, now }),
    appservices: createAppserviceService({
      serverName: config.serverName,
      // app_service_config_files first, then every registrations/*.yaml next to where the server runs.
      // (plus the registrations of the enabled bridges in the `bridges:` section).
      registrations: loadRegistrations([
        ...config.appServiceConfigFiles,
        ...bridgeRegistrationFiles(config.bridges ?? []),
        ...registrationFilesIn(resolvePath('registrations')),
      ]),
      storage,
      notices,
      logger: logger.child({ component: 'appservice' }),
      now,
      accounts: {
        exists: async (userId) => (await need(users, 'users').getUser(userId)) !== null,
        create: async (localpart, appserviceId) => {
          await need(users, 'users').createAccount({ localpart, passwordHash: null, appserviceId, trustedLocalpart: true });
        },
      },
    }),
    pushRules,
    push: createPushService({
      storage,
      notices,
      logger: logger.child({ component: 'push' }),
      serverName: config.serverName,
      now,
      getRuleset: (userId) => pushRules.getRuleset(userId),
      skipsMember: (userId) => services.appservices.registry.isExclusiveNamespaceUser(userId),
      gatewayIpPolicy: federation.ipPolicy,
      deviceEvents: users,
    }),
  };
  // Clients expect m.push_rules in every initial sync, even before the user changed a rule.
  services.sync.registerDefaultAccountData({ type: 'm.push_rules', content: (userId) => services.pushRules.accountDataContent(userId) });
  services.sync.registerJoinedRoomDecorator(unreadCountsDecorator(() => services.push));
  services.sync.onLocalEphemeral((change) => services.appservices.onEphemeral(change));
  // EDUs: other servers' typing, receipts, presence, device lists and to-device messages in; ours out.
  services.federationLimits = new InboundFederationLimits(config.federationRateLimit);
  services.federationEdus = createEduHandler({ logger: logger.child({ component: 'edus' }), rooms: storage.rooms, sync: services.sync, e2e: services.e2e });
  createEduSender({
    serverName: config.serverName,
    logger: logger.child({ component: 'edu-sender' }),
    now,
    rooms: storage.rooms,
    sender: federation.sender,
    sync: services.sync,
    e2e: services.e2e,
  });
  // E2EE /sync sections (to_device, device_lists): registered first, their order is part of the sync token.
  for (const ext of e2eSyncExtensions(services.e2e)) services.sync.registerExtension(ext);
  return { services, stopIndexing };
}

// Temporary shapes while the services are being written; each owner replaces its cast with the real method.
