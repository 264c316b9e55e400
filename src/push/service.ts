import { invalidParam, missingParam } from '../errors/index.js';
import type { Logger } from '../http/logger.js';
import type { PushAction, PushRuleset } from '../protocol/index.js';
import { serializeEvents } from '../rooms/index.js';
import type { PushActionRow, PusherRow, Storage } from '../storage/interfaces/index.js';
import type { DeviceId, RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { NoticeSource, StreamNotice } from '../types/notices.js';
import type { Requester } from '../types/requester.js';
import { isRead, readPositions, readPositionsInRooms, roomCounts, type ReadPositions, type RoomCounts } from './counts.js';
import { createEvaluator, type PassMembers } from './evaluator.js';
import { createGatewaySender, type GatewaySenderOptions } from './gateway-sender.js';
import { createRulesetCache } from './ruleset-cache.js';

// Notification counts, GET /notifications and pushers. Subscribes to 'events' notices: each new event is
// evaluated for the room's local members (evaluator.ts), notifying results are stored and, for users with
// pushers, queued for the push gateways (gateway-sender.ts).

export interface PushServiceDeps {
  storage: Storage;
  notices: NoticeSource;
  logger: Logger;
  serverName: string;
  now: () => number;
  getRuleset(userId: UserId): Promise<PushRuleset>;
  gateway?: Partial<GatewaySenderOptions>;
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
  /** Counts of joined rooms for /sync; `threaded` splits thread counts out of the main timeline (spec). */
  unreadCounts(userId: UserId, roomIds: readonly RoomId[], threaded: boolean, eventsPosition: number): Promise<Map<RoomId, { room: UnreadCounts; threads: Record<string, UnreadCounts> }>>;
  /** Resolves once events up to `position` were evaluated (bounded wait), so counts include them. */
  caughtUp(position: number): Promise<void>;
  /** Stops evaluating new events; resolves once the batch in flight is written (or has failed). */
  close(): Promise<void>;
}

const MAX_APP_ID = 64;
/** Where evaluation got to in the events stream (stream_positions row), so a restart resumes there. */
const POSITION_STREAM = 'push_evaluation';
const POSITION_INSTANCE = 'master';
const MAX_PUSHKEY = 512;
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
  const evaluate = createEvaluator({ storage, serverName: deps.serverName, now, getRuleset: rulesets.get });
  const sender = createGatewaySender({ storage, logger, now, ...(deps.gateway ? { options: deps.gateway } : {}) });
  deps.deviceEvents?.onDeviceChange(async (change) => {
    if (change.deleted !== undefined && change.deleted.length > 0) await storage.push.deletePushersOfDevices(change.userId, change.deleted);
  });

  // Notices are handled one after another so rooms are evaluated in stream order.
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  let processed = -1;
  let start: Promise<number> | null = null;
  const lastByRoom = new Map<RoomId, number>();
  let closed = false;

  /**
   * Evaluates the rooms of `notice` up to its position. `first` is the lowest position of the notices merged
   * into it (where evaluation starts when nothing was evaluated yet). All rows of the batch are written
   * together, so a burst of sends costs a few writes, not a few per event.
   */
  const handle = async (notice: StreamNotice, first = notice.position): Promise<void> => {
    start ??= storage.rooms.getMaxStreamOrdering().then((m) => Math.min(m, first - 1));
    const startAt = await start;
    const rows: PushActionRow[] = [];
    const done: RoomId[] = [];
    const members = new Map<RoomId, PassMembers>();
    for (const roomId of notice.roomIds ?? []) {
      const from = lastByRoom.get(roomId) ?? startAt;
      if (notice.position <= from) continue;
      const events = await storage.rooms.getRoomEventsInRange(roomId, from, notice.position, 'f', 1000);
      for (const ev of events) rows.push(...(await evaluate(ev, members)));
      done.push(roomId);
    }
    const notifying = rows.filter((r) => r.notify);
    // One query for the pushers of every notified user of the batch.
    const users = [...new Set(notifying.map((r) => r.userId))];
    const pushers = users.length === 0 ? [] : (await storage.push.getPushersOfUsers(users)).filter((p) => p.kind === 'http');
    const byUser = new Map<UserId, PusherRow[]>();
    for (const p of pushers) byUser.set(p.userId, [...(byUser.get(p.userId) ?? []), p]);
    const queue = notifying.flatMap((row) =>
      (byUser.get(row.userId) ?? []).map((p) => ({ pusherId: p.id, userId: row.userId, eventId: row.eventId, roomId: row.roomId, actions: row.actions, nextAttemptTs: now() })),
    );
    // The actions, the deliveries and the position land together; the in-memory positions advance only
    // after, so a failure retries the same ranges (push actions are idempotent per user and event).
    const reached = Math.max(processed, notice.position);
    await storage.push.recordEvaluation({ actions: rows, queue, position: { stream: POSITION_STREAM, instance: POSITION_INSTANCE, value: reached } });
    for (const roomId of done) lastByRoom.set(roomId, notice.position);
    processed = reached;
    if (queue.length > 0) sender.kick();
  };

  // A transient database error (e.g. no free pool connection under load) must not lose counts: retry the
  // notice with backoff before giving up on it.
  const handleWithRetry = async (notice: StreamNotice, first = notice.position): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await handle(notice, first);
        return;
      } catch (err) {
        if (closed || attempt >= 5) throw err;
        logger.warn({ err, position: notice.position, attempt }, 'push evaluation failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  };

  // Notices that arrive while a batch is being evaluated wait here and are then handled as one batch.
  let waiting: StreamNotice[] = [];
  const enqueue = (notice: StreamNotice): void => {
    waiting.push(notice);
    if (waiting.length > 1) return; // the batch is already scheduled
    pending++;
    chain = chain
      .then(() => {
        const batch = waiting;
        waiting = [];
        const merged: StreamNotice = {
          stream: 'events',
          position: Math.max(...batch.map((n) => n.position)),
          roomIds: [...new Set(batch.flatMap((n) => n.roomIds ?? []))],
        };
        return handleWithRetry(merged, Math.min(...batch.map((n) => n.position)));
      })
      .catch((err: unknown) => logger.error({ err }, 'push evaluation failed'))
      .finally(() => {
        pending--;
      });
  };
  // Events persisted after the last evaluated position (a crash between commit and evaluation, or another
  // process writing while we were down) are evaluated first, room by room, before live notices.
  pending++;
  chain = (async () => {
    const saved = await storage.streamPositions.getPosition(POSITION_STREAM, POSITION_INSTANCE);
    if (saved === null) return;
    start = Promise.resolve(saved);
    const max = await storage.rooms.getMaxStreamOrdering();
    for (const r of await storage.push.getRoomsWithEventsInRange(saved, max)) {
      if (closed) return;
      await handle({ stream: 'events', position: r.maxStreamOrdering, roomIds: [r.roomId] });
    }
  })()
    .catch((err: unknown) => logger.error({ err }, 'push catch-up failed'))
    .finally(() => {
      pending--;
    });
  const unsubscribe = deps.notices.subscribe((notice) => {
    if (notice.stream !== 'events' || closed) return;
    enqueue(notice);
  });
  // Pushes left in the queue by a previous run.
  sender.kick();

  const caughtUp = async (position: number): Promise<void> => {
    // Bounded: a position may never get a notice here (another process wrote it), and sync must not hang.
    const deadline = now() + 2_000;
    let idleSince: number | null = null;
    while (processed < position && now() < deadline && start !== null) {
      if (pending > 0) {
        idleSince = null;
        await chain;
        continue;
      }
      // The writer publishes right after its commit; a short idle wait covers that gap.
      idleSince ??= now();
      if (now() - idleSince > 50) {
        // No notice for this position (an outlier, or written elsewhere): do not make later syncs wait for it.
        processed = Math.max(processed, position);
        return;
      }
      await sleep(5);
    }
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

    async unreadCounts(userId, roomIds, threaded, eventsPosition) {
      await caughtUp(eventsPosition);
      const out = new Map<RoomId, { room: UnreadCounts; threads: Record<string, UnreadCounts> }>();
      const reads = await readPositionsInRooms(storage, userId, roomIds);
      // Asked together, so the store reads the push actions of all these rooms in a few statements (an
      // initial sync asks for every joined room) rather than one per room.
      const counts = await Promise.all(roomIds.map((roomId) => roomCounts(storage, userId, roomId, reads.get(roomId))));
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

    async close() {
      closed = true;
      unsubscribe();
      rulesets.close();
      sender.close();
      await chain;
    },
  };
}
