import type { Logger } from 'pino';
import { MatrixError } from '../errors/index.js';
import type { Storage } from '../storage/interfaces/index.js';
import type { JsonObject } from '../types/json.js';
import type { NoticeSource } from '../types/notices.js';
import { AsConnectionError, createAsClient, enc } from './as-client.js';
import { EphemeralCollector, type EphemeralChange } from './ephemeral.js';
import { wantsDeviceData } from './device-data.js';
import { memoRoomFacts } from './interest.js';
import { AppserviceQueue, DEFAULT_QUEUE_OPTIONS, type QueueOptions, type QueueStatus } from './queue.js';
import type { Registration } from './registration.js';
import { AppserviceRegistry, type AppserviceEntry } from './registry.js';

// The application service component: the registry of loaded registrations, one durable transaction queue per
// service, ephemeral delivery, and the homeserver -> service requests (ping, user/alias queries, third-party
// lookups). Client routes reach it through services.appservices.

export interface AppserviceDeps {
  serverName: string;
  registrations: readonly Registration[];
  storage: Storage;
  notices: NoticeSource;
  logger: Logger;
  now: () => number;
  /** Accounts port (closures over the user service in main.ts). */
  accounts: {
    exists(userId: string): Promise<boolean>;
    create(localpart: string, appserviceId: string): Promise<void>;
  };
  queue?: Partial<QueueOptions>;
  /** Timeout of queries and pings (ms). */
  queryTimeoutMs?: number;
}

export interface AppserviceService {
  readonly registry: AppserviceRegistry;
  /** Creates missing sender users and starts the queues. */
  start(): Promise<void>;
  /** A request authenticated with this service's as_token arrived: it is up, so retry now instead of waiting. */
  noteActive(asId: string): void;
  /** POST /_matrix/app/v1/ping; returns the round trip in ms or throws the spec's errors. */
  ping(asId: string, transactionId: string | undefined): Promise<number>;
  /** Asks the services whose namespace covers `userId` whether it exists; true when one says so. */
  queryUser(userId: string): Promise<boolean>;
  /** Same for a room alias (the service creates the room before answering 200). */
  queryAlias(alias: string): Promise<boolean>;
  /** GET /_matrix/app/v1/thirdparty/... of services declaring `protocol` (all services' protocols when null). */
  thirdPartyProtocols(): Promise<JsonObject>;
  thirdPartyProtocol(protocol: string): Promise<JsonObject | null>;
  thirdPartyLookup(kind: 'location' | 'user', protocol: string | null, query: Record<string, string>): Promise<JsonObject[]>;
  onEphemeral(change: EphemeralChange): void;
  /** PUT /directory/list/appservice/{networkId}/{roomId}; M_NOT_FOUND for an unknown room. */
  setRoomListed(asId: string, networkId: string, roomId: string, listed: boolean): Promise<void>;
  status(): Promise<QueueStatus[]>;
  close(): Promise<void>;
}

export function createAppserviceService(deps: AppserviceDeps): AppserviceService {
  const registry = new AppserviceRegistry(deps.registrations, deps.serverName);
  const options: QueueOptions = { ...DEFAULT_QUEUE_OPTIONS, ...deps.queue };
  const queryTimeoutMs = deps.queryTimeoutMs ?? 30_000;
  const queues = new Map<string, AppserviceQueue>();
  const client = createAsClient();
  const facts = () =>
    memoRoomFacts({
      aliases: (roomId) => deps.storage.rooms.getAliasesForRoom(roomId),
      joinedMembers: async (roomId) => (await deps.storage.rooms.getRoomMembers(roomId, ['join'])).map((m) => m.userId),
    });
  const ephemeral = new EphemeralCollector(registry.entries, facts, deps.now, (entry) => queues.get(entry.id)?.wake());
  for (const entry of registry.entries) {
    queues.set(
      entry.id,
      new AppserviceQueue(entry, { storage: deps.storage, logger: deps.logger.child({ appservice: entry.id }), now: deps.now, options, ephemeral, client }),
    );
  }
  let unsubscribe: (() => void) | null = null;

  const get = (asId: string): AppserviceEntry => {
    const entry = registry.findById(asId);
    if (!entry) throw new MatrixError('M_NOT_FOUND', 404, `No application service "${asId}"`);
    return entry;
  };

  /** One query to one service; false on any failure (logged): a broken bridge must not break lookups. */
  async function query(entry: AppserviceEntry, path: string, query?: Record<string, string>): Promise<{ ok: boolean; body: unknown }> {
    if (entry.reg.url === null) return { ok: false, body: null };
    try {
      const res = await client.request(entry, { method: 'GET', path, query, timeoutMs: queryTimeoutMs });
      return { ok: res.status >= 200 && res.status < 300, body: res.body };
    } catch (err) {
      deps.logger.warn({ appservice: entry.id, path, err: err instanceof Error ? err.message : String(err) }, 'appservice query failed');
      return { ok: false, body: null };
    }
  }

  return {
    registry,
    async start() {
      for (const entry of registry.entries) {
        if (!(await deps.accounts.exists(entry.senderUserId))) {
          await deps.accounts.create(entry.reg.senderLocalpart, entry.id);
          deps.logger.info({ appservice: entry.id, userId: entry.senderUserId }, 'created the appservice sender user');
        }
      }
      unsubscribe = deps.notices.subscribe((n) => {
        if (n.stream === 'events') for (const q of queues.values()) q.wake();
        // To-device messages and device-list changes only matter to services with the encryption extensions.
        else if (n.stream === 'to_device' || n.stream === 'device_lists') for (const q of queues.values()) if (wantsDeviceData(q.entry)) q.wake();
      });
      for (const q of queues.values()) q.start();
      if (registry.entries.length > 0) {
        deps.logger.info({ appservices: registry.entries.map((e) => ({ id: e.id, url: e.reg.url, source: e.reg.source })) }, 'application services loaded');
      }
    },
    noteActive(asId) {
      queues.get(asId)?.wake(true);
    },
    async ping(asId, transactionId) {
      const entry = get(asId);
      if (entry.reg.url === null) throw new MatrixError('M_URL_NOT_SET', 400, "Application service doesn't have a URL configured");
      const started = performance.now();
      let res;
      try {
        res = await client.request(entry, {
          method: 'POST',
          path: '/_matrix/app/v1/ping',
          body: JSON.stringify(transactionId === undefined ? {} : { transaction_id: transactionId }),
          timeoutMs: queryTimeoutMs,
        });
      } catch (err) {
        if (err instanceof AsConnectionError && err.timedOut) throw new MatrixError('M_CONNECTION_TIMEOUT', 504, 'Connection to application service timed out');
        throw new MatrixError('M_CONNECTION_FAILED', 502, `Connection to application service failed: ${(err as Error).message}`);
      }
      if (res.status < 200 || res.status >= 300) {
        const body = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
        throw new MatrixError('M_BAD_STATUS', 502, `Ping returned status ${res.status}`, { status: res.status, body });
      }
      // A service that answers pings is up: deliver anything waiting now.
      queues.get(asId)?.wake(true);
      return Math.round(performance.now() - started);
    },
    async queryUser(userId) {
      for (const entry of registry.servicesForUser(userId)) {
        if ((await query(entry, `/_matrix/app/v1/users/${enc(userId)}`)).ok) return true;
      }
      return false;
    },
    async queryAlias(alias) {
      for (const entry of registry.servicesForAlias(alias)) {
        if ((await query(entry, `/_matrix/app/v1/rooms/${enc(alias)}`)).ok) return true;
      }
      return false;
    },
    async thirdPartyProtocols() {
      const out: JsonObject = {};
      const names = new Set(registry.entries.flatMap((e) => e.reg.protocols));
      for (const name of names) {
        const p = await this.thirdPartyProtocol(name);
        if (p !== null) out[name] = p;
      }
      return out;
    },
    async thirdPartyProtocol(protocol) {
      const services = registry.servicesForProtocol(protocol);
      if (services.length === 0) return null;
      // Like Synapse: the first answer's metadata, with every service's instances merged.
      let merged: JsonObject | null = null;
      const instances: JsonObject[] = [];
      for (const entry of services) {
        const res = await query(entry, `/_matrix/app/v1/thirdparty/protocol/${enc(protocol)}`);
        if (!res.ok || typeof res.body !== 'object' || res.body === null || Array.isArray(res.body)) continue;
        const body = res.body as JsonObject;
        merged ??= { ...body };
        if (Array.isArray(body.instances)) {
          for (const inst of body.instances) {
            if (typeof inst === 'object' && inst !== null && !Array.isArray(inst)) instances.push({ ...inst, instance_id: `${entry.id}|${String(inst.network_id ?? '')}` });
          }
        }
      }
      if (merged === null) return null;
      merged.instances = instances;
      return merged;
    },
    async thirdPartyLookup(kind, protocol, q) {
      const services = protocol === null ? registry.entries.filter((e) => e.reg.protocols.length > 0) : registry.servicesForProtocol(protocol);
      const out: JsonObject[] = [];
      for (const entry of services) {
        const path = protocol === null ? `/_matrix/app/v1/thirdparty/${kind}` : `/_matrix/app/v1/thirdparty/${kind}/${enc(protocol)}`;
        const res = await query(entry, path, q);
        if (res.ok && Array.isArray(res.body)) for (const item of res.body) if (typeof item === 'object' && item !== null && !Array.isArray(item)) out.push(item as JsonObject);
      }
      return out;
    },
    onEphemeral(change) {
      ephemeral.accept(change).catch((err: unknown) => deps.logger.warn({ err }, 'appservice ephemeral routing failed'));
    },
    async setRoomListed(asId, networkId, roomId, listed) {
      if ((await deps.storage.rooms.getRoom(roomId)) === undefined) throw new MatrixError('M_NOT_FOUND', 404, 'Unknown room');
      await deps.storage.appservices.setRoomListed(asId, networkId, roomId, listed);
    },
    async status() {
      return Promise.all([...queues.values()].map((q) => q.status()));
    },
    async close() {
      unsubscribe?.();
      await Promise.all([...queues.values()].map((q) => q.close()));
      client.close();
    },
  };
}
