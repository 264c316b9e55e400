import { invalidParam, missingParam } from '../errors/index.js';
import type { IpPolicy } from '../federation/outbound/index.js';
import type { Logger } from '../http/logger.js';
import type { PushAction, PushRuleset } from '../protocol/index.js';
import { serializeEvents, type PushActionsPort } from '../rooms/index.js';
import type { PushActionRow, PushEvaluationBatch, PusherRow, Storage, StoredEvent } from '../storage/interfaces/index.js';
import type { DeviceId, RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { NoticeSource } from '../types/notices.js';
import type { Requester } from '../types/requester.js';
import { isRead, readPositions, readPositionsInRooms, roomCounts, summed, type ReadPositions, type RoomCounts } from './counts.js';
import { UnreadCountCache } from './unread-cache.js';
import { createEvaluator, forkPass, type PassMembers } from './evaluator.js';
import { createGatewaySender, type GatewaySenderOptions } from './gateway-sender.js';
import { createRulesetCache } from './ruleset-cache.js';
import { StagedMoves } from './staged-moves.js';

// Notification counts, GET /notifications and pushers. The room writer asks for the push actions of the
// events it is about to commit (evaluateForCommit: the room's local members' rules, evaluator.ts) and writes
// them in the same transaction; for users with pushers the deliveries to the push gateways
// (gateway-sender.ts) are queued there too.

export interface PushServiceDeps {
  storage: Storage;
  notices: NoticeSource;
  logger: Logger;
  serverName: string;
  now: () => number;
  getRuleset(userId: UserId): Promise<PushRuleset>;
  /** Local users push rules are not run for as members (evaluator.ts): those an application service holds. */
  skipsMember?: (userId: UserId) => boolean;
  gateway?: Partial<GatewaySenderOptions>;
  /** Push gateway addresses that may be contacted (ip_range_blacklist / ip_range_whitelist). */
  gatewayIpPolicy: IpPolicy;
  /** Device deletions (logout, device removal, deactivation): a device's pushers go with it, as in Synapse. */
  deviceEvents?: {
    onDeviceChange(listener: (change: { userId: UserId; deleted?: readonly DeviceId[] }) => void | Promise<void>): () => void;
  };
}

/** POST /pushers/set after schema validation. */
export interface SetPusherBody {
  pushkey: string;
  kind: string | null;
  app_id: string;
  app_display_name?: string;
  device_display_name?: string;
  profile_tag?: string;
  lang?: string;
  data?: JsonObject;
  append?: boolean;
}

export interface UnreadCounts {
  notification_count: number;
  highlight_count: number;
}

export interface PushService {
  getPushers(requester: Requester): Promise<{ pushers: JsonObject[] }>;
  setPusher(requester: Requester, body: SetPusherBody): Promise<void>;
  getNotifications(requester: Requester, opts: { from?: string; limit: number; only?: string }): Promise<JsonObject>;
  /**
   * Counts of joined rooms for /sync; `threaded` splits thread counts out of the main timeline (spec). With
   * `upTo`, the events-stream position the response covers, only rows up to it count, and the user's counts
   * are kept so their next sync adds only the rows after it (unread-cache.ts).
   */
  unreadCounts(userId: UserId, roomIds: readonly RoomId[], threaded: boolean, upTo?: number): Promise<Map<RoomId, { room: UnreadCounts; threads: Record<string, UnreadCounts> }>>;
  /**
   * Resolves once the start-up catch-up is done (bounded wait), so counts include the events it evaluates;
   * every event committed since start was evaluated in its own transaction.
   */
  caughtUp(): Promise<void>;
  /** The room writer's port (rooms' PushActionsPort): rows for a group commit's events, written with them. */
  evaluateForCommit: PushActionsPort['evaluate'];
  /** Stops the start-up catch-up and gateway delivery; resolves once the catch-up's batch in flight is written. */
  close(): Promise<void>;
}

const MAX_APP_ID = 64;
/** Where evaluation got to in the events stream (stream_positions row), so a restart resumes there. */
const POSITION_STREAM = 'push_evaluation';
const POSITION_INSTANCE = 'master';
const MAX_PUSHKEY = 512;
/** Events per read of the start-up catch-up. */
const CATCH_UP_BATCH = 1000;
/** Rooms whose evaluation pass is kept between commits (a 10,000-member room's pass is ~1 MB). */
const MAX_KEPT_PASSES = 256;
const NOTIFY_PATH = '/_matrix/push/v1/notify';
function pusherJson(p: PusherRow): JsonObject {
  const out: JsonObject = {
    pushkey: p.pushkey,
    kind: p.kind,
    app_id: p.appId,
    app_display_name: p.appDisplayName,
    device_display_name: p.deviceDisplayName,
    lang: p.lang,
    data: p.data,
  };
  if (p.profileTag !== null) out.profile_tag = p.profileTag;
  return out;
}

function checkHttpData(data: JsonObject | undefined): void {
  const url = data?.url;
  if (typeof url !== 'string') throw missingParam("'url' required in data for HTTP pusher");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidParam("'url' must be an absolute URL");
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalidParam("'url' must be an http(s) URL");
  if (parsed.pathname !== NOTIFY_PATH) throw invalidParam(`'url' must have a path of '${NOTIFY_PATH}'`);
  if (data?.format !== undefined && data.format !== 'event_id_only') throw invalidParam("data.format must be 'event_id_only'");
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export function createPushService(deps: PushServiceDeps): PushService {
  const { storage, logger, now } = deps;
  const rulesets = createRulesetCache(deps.getRuleset, deps.notices);
  const evaluate = createEvaluator({
    storage,
    serverName: deps.serverName,
    now,
    getRuleset: rulesets.get,
    ...(deps.skipsMember ? { skipsMember: deps.skipsMember } : {}),
  });
  const sender = createGatewaySender({ storage, logger, now, ipPolicy: deps.gatewayIpPolicy, ...(deps.gateway ? { options: deps.gateway } : {}) });
  deps.deviceEvents?.onDeviceChange(async (change) => {
    if (change.deleted !== undefined && change.deleted.length > 0) await storage.push.deletePushersOfDevices(change.userId, change.deleted);
  });

  let closed = false;

  /**
   * The local members' push actions for `events` (stream order) and the deliveries to their pushers.
   * `members`: the passes to start from (rooms not in it are read from the database); left holding each
   * room's pass after the events.
   */
  const evaluateEvents = async (events: readonly StoredEvent[], members = new Map<RoomId, PassMembers>()): Promise<Omit<PushEvaluationBatch, 'position'>> => {
    const actions: PushActionRow[] = [];
    for (const ev of events) actions.push(...(await evaluate(ev, members)));
    const notifying = actions.filter((r) => r.notify);
    // One query for the pushers of every notified user of the batch.
    const users = [...new Set(notifying.map((r) => r.userId))];
    const pushers = users.length === 0 ? [] : (await storage.push.getPushersOfUsers(users)).filter((p) => p.kind === 'http');
    const byUser = new Map<UserId, PusherRow[]>();
    for (const p of pushers) byUser.set(p.userId, [...(byUser.get(p.userId) ?? []), p]);
    const queue = notifying.flatMap((row) =>
      (byUser.get(row.userId) ?? []).map((p) => ({ pusherId: p.id, userId: row.userId, eventId: row.eventId, roomId: row.roomId, actions: row.actions, nextAttemptTs: now() })),
    );
    return { actions, queue };
  };

  // Events are evaluated as the room writer commits them, in its transaction (`evaluateForCommit`). Events
  // stored after the saved position without that (by a version that evaluated after commit and stopped
  // before it got to them) are evaluated once at start, room by room. Until that is done, commits leave the
  // position alone, so a restart in the middle does the catch-up again (rows are idempotent).
  let caughtUpAtStart = false;
  const startUp = (async () => {
    const saved = await storage.streamPositions.getPosition(POSITION_STREAM, POSITION_INSTANCE);
    const max = await storage.rooms.getMaxStreamOrdering();
    if (saved !== null && saved < max) {
      for (const r of await storage.push.getRoomsWithEventsInRange(saved, max)) {
        for (let from = saved; from < r.maxStreamOrdering && !closed; ) {
          const events = await storage.rooms.getRoomEventsInRange(r.roomId, from, r.maxStreamOrdering, 'f', CATCH_UP_BATCH);
          await storage.push.recordEvaluation({ ...(await evaluateEvents(events)), position: null });
          from = events.length < CATCH_UP_BATCH ? r.maxStreamOrdering : (events.at(-1) as StoredEvent).streamOrdering;
        }
        if (closed) return;
      }
    }
    await storage.push.recordEvaluation({ actions: [], queue: [], position: { stream: POSITION_STREAM, instance: POSITION_INSTANCE, value: max } });
    caughtUpAtStart = true;
  })().catch((err: unknown) => logger.error({ err }, 'push catch-up failed'));

  // Moving staged push actions into the per-user table (only where the store stages them): one move at a time,
  // when enough rows wait per user (staged-moves.ts).
  const stagedMoves = new StagedMoves(
    (maxRows) => storage.push.rotatePushActions(maxRows),
    // A monotonic clock of its own: the waits are real time, whatever clock the events are stamped with.
    () => performance.now(),
    (err) => logger.warn({ err }, 'moving push actions failed'),
  );
  // Rows a previous run wrote but did not move.
  void startUp.then(() => stagedMoves.moveNow());

  // Deliveries written with a commit go to the gateways once the commit's notice says it landed.
  let kickAt: number | null = null;
  const unsubscribe = deps.notices.subscribe((notice) => {
    if (notice.stream !== 'events' || kickAt === null || notice.position < kickAt) return;
    kickAt = null;
    sender.kick();
  });
  // Pushes left in the queue by a previous run.
  sender.kick();

  // Each room's members and power levels after its last committed group, so a burst of messages reads them
  // once, not once per commit. Used only when the room writer vouches that nothing changed the room in between
  // (`rooms.from`) and kept only when the group's own events account for every change (`rooms.drafts`).
  const passes = new Map<RoomId, PassMembers>();
  // Each syncing user's counts per room, so a woken sync counts only the rows since its previous one.
  const unreadCache = new UnreadCountCache((userId, roomId, floor) => storage.push.countUnreadPushActions(userId, roomId, floor));
  const evaluateForCommit: PushService['evaluateForCommit'] = async (events, rooms) => {
    const members = new Map<RoomId, PassMembers>();
    for (const roomId of rooms.from) {
      const known = passes.get(roomId);
      if (known !== undefined) members.set(roomId, forkPass(known));
    }
    const { actions, queue } = await evaluateEvents(events, members);
    const high = Math.max(...events.map((e) => e.streamOrdering));
    const position = caughtUpAtStart ? { stream: POSITION_STREAM, instance: POSITION_INSTANCE, value: high } : null;
    const batch = actions.length === 0 && queue.length === 0 && position === null ? null : { actions, queue, position };
    const committed = (): void => {
      if (queue.length > 0) kickAt = Math.max(kickAt ?? high, high);
      if (actions.length > 0 && storage.push.stagesPushActions) stagedMoves.staged(actions.map((a) => a.userId));
      for (const roomId of new Set(events.map((e) => e.roomId))) {
        const pass = members.get(roomId);
        passes.delete(roomId);
        if (pass === undefined || !rooms.drafts.has(roomId)) continue;
        passes.set(roomId, pass);
        if (passes.size > MAX_KEPT_PASSES) passes.delete(passes.keys().next().value as RoomId);
      }
    };
    return { batch, committed };
  };

  const caughtUp = async (): Promise<void> => {
    if (caughtUpAtStart) return;
    // Bounded: sync must not hang on a long catch-up after an upgrade.
    await Promise.race([startUp, sleep(2_000)]);
  };

  return {
    async getPushers(requester) {
      return { pushers: (await storage.push.getPushers(requester.userId)).map(pusherJson) };
    },

    async setPusher(requester, body) {
      const userId = requester.userId;
      if (body.app_id.length > MAX_APP_ID) throw invalidParam(`app_id must be at most ${MAX_APP_ID} characters`);
      if (body.pushkey.length > MAX_PUSHKEY) throw invalidParam(`pushkey must be at most ${MAX_PUSHKEY} characters`);
      if (body.kind === null) {
        await storage.push.deletePusher(userId, body.app_id, body.pushkey);
        return;
      }
      if (body.kind !== 'http') throw invalidParam(`Unsupported pusher kind ${body.kind}`);
      for (const field of ['app_display_name', 'device_display_name', 'lang', 'data'] as const) {
        if (body[field] === undefined) throw missingParam(`Missing parameter: ${field}`);
      }
      checkHttpData(body.data);
      // Without append, a pushkey belongs to one user: the same app_id + pushkey elsewhere is removed.
      if (body.append !== true) await storage.push.deletePushersOfOthers(userId, body.app_id, body.pushkey);
      await storage.push.upsertPusher({
        userId,
        accessTokenId: requester.accessTokenId,
        deviceId: requester.deviceId,
        kind: body.kind,
        appId: body.app_id,
        pushkey: body.pushkey,
        appDisplayName: body.app_display_name ?? '',
        deviceDisplayName: body.device_display_name ?? '',
        profileTag: body.profile_tag ?? null,
        lang: body.lang ?? '',
        data: body.data ?? {},
        createdTs: now(),
      });
    },

    async getNotifications(requester, opts) {
      let before: number | null = null;
      if (opts.from !== undefined && opts.from !== '') {
        if (!/^\d{1,15}$/.test(opts.from)) throw invalidParam('Invalid from token');
        before = Number(opts.from);
      }
      const rows = await storage.push.getNotifications(requester.userId, { before, limit: opts.limit, onlyHighlight: opts.only === 'highlight' });
      const events = await storage.rooms.getEvents(rows.map((r) => r.eventId));
      const reads = new Map<RoomId, ReadPositions>();
      const notifications: JsonObject[] = [];
      for (const row of rows) {
        const ev = events.get(row.eventId);
        if (!ev) continue;
        let read = reads.get(row.roomId);
        if (!read) reads.set(row.roomId, (read = await readPositions(storage, requester.userId, row.roomId)));
        const [event] = await serializeEvents([ev], { store: storage.rooms, now: now(), requester });
        if (!event) continue;
        notifications.push({
          actions: row.actions as PushAction[],
          event: event as unknown as JsonObject,
          read: isRead(row, read),
          room_id: row.roomId,
          ts: row.ts,
        });
      }
      const out: JsonObject = { notifications };
      const last = rows[rows.length - 1];
      if (last && rows.length >= opts.limit) out.next_token = String(last.streamOrdering);
      return out;
    },

    async unreadCounts(userId, roomIds, threaded, upTo) {
      await caughtUp();
      const out = new Map<RoomId, { room: UnreadCounts; threads: Record<string, UnreadCounts> }>();
      const reads = await readPositionsInRooms(storage, userId, roomIds);
      // Asked together, so the store reads the push actions of all these rooms in a few statements (an
      // initial sync asks for every joined room) rather than one per room.
      const counts = await Promise.all(
        roomIds.map(async (roomId) => {
          const read = reads.get(roomId) ?? { unthreaded: -1, threads: new Map<string, number>() };
          // Not kept before the start-up catch-up is done (caughtUp waits a bounded time): it still adds rows
          // of events already in the stream, which kept counts would miss.
          if (upTo === undefined || !caughtUpAtStart) return roomCounts(storage, userId, roomId, read);
          return summed(await unreadCache.counts(userId, roomId, read, upTo));
        }),
      );
      roomIds.forEach((roomId, i) => {
        const c = counts[i] as RoomCounts;
        if (!threaded) {
          out.set(roomId, { room: { notification_count: c.notificationCount, highlight_count: c.highlightCount }, threads: {} });
          return;
        }
        const main = c.threads.get('main');
        const threads: Record<string, UnreadCounts> = {};
        for (const [threadId, t] of c.threads) {
          if (threadId === 'main' || (t.notificationCount === 0 && t.highlightCount === 0)) continue;
          threads[threadId] = { notification_count: t.notificationCount, highlight_count: t.highlightCount };
        }
        out.set(roomId, { room: { notification_count: main?.notificationCount ?? 0, highlight_count: main?.highlightCount ?? 0 }, threads });
      });
      return out;
    },

    caughtUp,
    evaluateForCommit,

    async close() {
      closed = true;
      unsubscribe();
      rulesets.close();
      sender.close();
      await startUp;
      await stagedMoves.close();
    },
  };
}
