import { RoomSummaryCache } from './room-summary.js';
import type { RelationsBundler } from '../rooms/index.js';
import type { Config } from '../config/types.js';
import { forbidden, invalidParam, MatrixError, notFound } from '../errors/index.js';
import type { Logger } from '../http/logger.js';
import type { PresenceState, Storage, StreamIdGenerator } from '../storage/interfaces/index.js';
import type { EventId, RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { NoticeHub } from '../types/notices.js';
import type { Requester } from '../types/requester.js';
import { buildSync } from './build-sync.js';
import { LocalEphemeralListeners, type LocalEphemeralChange, type LocalEphemeralListener, type RemotePresence } from './federated-ephemeral.js';
import { SyncExtensionRegistry, type DefaultAccountData, type JoinedRoomDecorator, type SyncExtension } from './extensions.js';
import { createFilterValidator, type SyncFilterJson } from './filter.js';
import { SyncNotifier } from './notifier.js';
import { PresenceTracker } from './presence.js';
import { ReceiptWriter } from './receipts.js';
import { LazyMemberCache } from './room-state.js';
import { ResolvedFilters } from './resolved-filters.js';
import { IgnoredUsersCache } from './ignored-users-cache.js';
import { SyncEventSerializer } from './serialize.js';
import { directReads, SharedSyncReads } from './shared-reads.js';
import { parseSyncToken, type SyncPositions } from './tokens.js';
import { MAX_TYPING_TIMEOUT_MS, TypingTracker } from './typing.js';
import type { SyncResponseBody } from './types.js';

export interface SyncServiceDeps {
  config: Config;
  logger: Logger;
  storage: Storage;
  notices: NoticeHub;
  now: () => number;
  /** Server-side aggregations (unsigned.m.relations) for timeline events; wired to the relations service. */
  bundleRelations?: RelationsBundler;
}

export interface SyncParams {
  since?: string;
  /** Long-poll timeout in ms (0: answer at once). */
  timeoutMs: number;
  fullState: boolean;
  setPresence: PresenceState;
  /** A filter id or inline filter JSON. */
  filter?: string;
  /** v1.16 `use_state_after`: send `state_after` instead of `state`. */
  useStateAfter: boolean;
  /** True when the client asked with MSC4222's unstable parameter: the field then has the unstable name too. */
  unstableStateAfter?: boolean;
}

export interface SyncService {
  /** GET /sync. `signal` aborts the long-poll when the client goes away. */
  sync(requester: Requester, params: SyncParams, signal?: AbortSignal): Promise<SyncResponseBody>;
  createFilter(requester: Requester, userId: UserId, filter: unknown): Promise<string>;
  getFilter(requester: Requester, userId: UserId, filterId: string): Promise<JsonObject>;
  setTyping(requester: Requester, roomId: RoomId, userId: UserId, typing: boolean, timeoutMs?: number): Promise<void>;
  postReceipt(requester: Requester, roomId: RoomId, receiptType: string, eventId: EventId, threadId?: string): Promise<void>;
  setReadMarkers(requester: Requester, roomId: RoomId, markers: { fullyRead?: EventId; read?: EventId; readPrivate?: EventId }): Promise<void>;
  getPresence(requester: Requester, userId: UserId): Promise<JsonObject>;
  setPresence(requester: Requester, userId: UserId, state: PresenceState, statusMsg: string | null): Promise<void>;
  /** Federation: another server's user started or stopped typing (the caller checked the user is theirs and joined). */
  applyRemoteTyping(roomId: RoomId, userId: UserId, typing: boolean, timeoutMs?: number): void;
  /** Federation: another server's public receipt (m.read) for one of its joined users. */
  applyRemoteReceipt(roomId: RoomId, receiptType: string, userId: UserId, eventId: EventId, data: JsonObject): Promise<void>;
  /** Federation: another server's presence update about one of its users. */
  applyRemotePresence(update: RemotePresence): Promise<void>;
  /** Federation: be told about local typing, public receipts and presence changes (to send them out). */
  onLocalEphemeral(listener: LocalEphemeralListener): () => void;
  /** Adds a top-level /sync section with its own stream (see extensions.ts). Call at startup. */
  registerExtension(ext: SyncExtension): void;
  /** Global account data served in initial syncs while the user has none of that type stored (see extensions.ts). */
  registerDefaultAccountData(d: DefaultAccountData): void;
  /** Adds per-room fields to joined room sections (see extensions.ts). Call at startup. */
  registerJoinedRoomDecorator(d: JoinedRoomDecorator): void;
  /** Long-polls waiting right now (tests, metrics). */
  waitingCount(): number;
  close(): void;
}

/** Optional store capability (the room writer's forgotten-rooms table). */
interface ForgottenLookup {
  getForgottenRoomIds(userId: UserId): Promise<Set<RoomId>>;
}

/** Longest long-poll we honour; clients use 30 s, this only keeps timers in range. */
const MAX_TIMEOUT_MS = 10 * 60_000;

export function createSyncService(deps: SyncServiceDeps): SyncService {
  const { storage, notices, now } = deps;
  const notifier = new SyncNotifier(notices);
  const localListeners = new LocalEphemeralListeners();
  const emitLocal = (change: LocalEphemeralChange) =>
    localListeners.emit(change, (err) => deps.logger.warn({ err, kind: change.kind }, 'local ephemeral listener failed'));
  const typing = new TypingTracker(notices);
  const presence = new PresenceTracker(storage, notices, now, deps.logger, emitLocal);
  const receipts = new ReceiptWriter(storage, notices, now, emitLocal);
  const extensions = new SyncExtensionRegistry();
  const lazyMembers = new LazyMemberCache();
  const summaries = new RoomSummaryCache();
  const validateFilter = createFilterValidator();
  const serializer = new SyncEventSerializer(storage.rooms, now, deps.bundleRelations);
  const sharedReads = new SharedSyncReads(storage.rooms, now);
  const ignoredUsers = new IgnoredUsersCache(storage.userData, notices);
  const unshared = directReads(storage.rooms);

  const generators = new Map<string, Promise<StreamIdGenerator>>();
  const token = async (table: string, column: string): Promise<number> => {
    let g = generators.get(table);
    if (!g) generators.set(table, (g = storage.streamIdGenerator(table, column)));
    return (await g).currentToken();
  };
  const currentPositions = async (): Promise<SyncPositions> => {
    const extra: Record<string, number> = {};
    for (const ext of extensions.all()) extra[ext.name] = ext.currentPosition();
    return {
      events: await token('events', 'stream_ordering'),
      typing: typing.currentPosition(),
      receipts: await token('receipts', 'stream_id'),
      accountData: await token('account_data', 'stream_id'),
      presence: await token('presence', 'stream_id'),
      extra,
    };
  };

  const forgottenRooms = async (userId: UserId): Promise<Set<RoomId>> => {
    const store = storage.rooms as typeof storage.rooms & Partial<ForgottenLookup>;
    return typeof store.getForgottenRoomIds === 'function' ? store.getForgottenRoomIds(userId) : new Set();
  };

  const filters = new ResolvedFilters(storage.userData, validateFilter);

  const assertSelf = (requester: Requester, userId: UserId, what: string) => {
    if (requester.userId !== userId) throw forbidden(`Cannot ${what} for other users`);
  };

  return {
    async sync(requester, params, signal) {
      const filter = await filters.resolve(requester.userId, params.filter);
      const since = params.since ? parseSyncToken(params.since, extensions.names()) : null;
      const timeoutMs = Math.min(Math.max(params.timeoutMs, 0), MAX_TIMEOUT_MS);
      const deadline = now() + timeoutMs;
      await presence.syncStarted(requester.userId, params.setPresence);
      try {
        for (;;) {
          // Taken before computing, so a notice that lands while we compute is replayed by wait().
          const sequence = notifier.sequence();
          const to = await currentPositions();
          const built = await buildSync(
            {
              requester,
              filter,
              since,
              to,
              fullState: params.fullState,
              useStateAfter: params.useStateAfter,
              stateAfterField: params.unstableStateAfter ? 'org.matrix.msc4222.state_after' : 'state_after',
              rooms: storage.rooms,
              // Incremental syncs at one position are the ones woken together; initial ones read their own.
              reads: since !== null && !params.fullState ? sharedReads.at(to.events) : unshared,
              summaries,
              userData: storage.userData,
              ignoredUsers,
              typing,
              serializer,
            },
            { extensions, lazyMembers, now, forgottenRooms },
          );
          if (since === null || params.fullState || built.hasUpdates) return built.body;
          const remaining = deadline - now();
          if (remaining <= 0 || signal?.aborted) return built.body;
          const outcome = await notifier.wait({
            userId: requester.userId,
            roomIds: built.joinedRooms,
            afterSequence: sequence,
            timeoutMs: remaining,
            signal,
          });
          if (outcome !== 'notified') return built.body;
        }
      } finally {
        presence.syncEnded(requester.userId);
      }
    },

    async createFilter(requester, userId, filter) {
      assertSelf(requester, userId, 'create filters');
      const valid = validateFilter(filter);
      return String(await storage.userData.createFilter(userId, valid as JsonObject));
    },

    async getFilter(requester, userId, filterId) {
      assertSelf(requester, userId, 'get filters');
      const id = /^\d{1,15}$/.test(filterId) ? Number(filterId) : null;
      const stored = id === null ? undefined : await storage.userData.getFilter(userId, id);
      if (!stored) throw notFound('No such filter');
      return stored;
    },

    async setTyping(requester, roomId, userId, isTyping, timeoutMs) {
      if (requester.userId !== userId) throw forbidden('Cannot set typing state for other users');
      const member = await storage.rooms.getCurrentStateEvent(roomId, 'm.room.member', userId);
      if (member?.pdu.content.membership !== 'join') throw forbidden(`User ${userId} not in room ${roomId}`);
      typing.setTyping(roomId, userId, isTyping, timeoutMs);
      emitLocal({ kind: 'typing', roomId, userId, typing: isTyping, timeoutMs: Math.min(timeoutMs ?? MAX_TYPING_TIMEOUT_MS, MAX_TYPING_TIMEOUT_MS) });
    },

    applyRemoteTyping(roomId, userId, isTyping, timeoutMs) {
      typing.setTyping(roomId, userId, isTyping, timeoutMs);
    },
    applyRemoteReceipt: (roomId, receiptType, userId, eventId, data) => receipts.applyRemote(userId, roomId, receiptType, eventId, data),
    applyRemotePresence: (update) => presence.applyRemote(update),
    onLocalEphemeral: (listener) => localListeners.add(listener),

    postReceipt: (requester, roomId, receiptType, eventId, threadId) =>
      receipts.postReceipt(requester.userId, roomId, receiptType, eventId, threadId),
    setReadMarkers: (requester, roomId, markers) => receipts.setReadMarkers(requester.userId, roomId, markers),
    getPresence: (requester, userId) => presence.getStatus(requester.userId, userId),
    setPresence: (requester, userId, state, statusMsg) => presence.setStatus(requester.userId, userId, state, statusMsg),

    registerExtension(ext) {
      extensions.register(ext);
    },
    registerDefaultAccountData(d) {
      extensions.defaultAccountData.push(d);
    },
    registerJoinedRoomDecorator(d) {
      extensions.joinedRoomDecorators.push(d);
    },
    waitingCount: () => notifier.waiterCount(),
    close() {
      notifier.close();
      ignoredUsers.close();
      typing.close();
      presence.close();
    },
  };
}
