import { createHttpTransport, FederationRequestError, urlTarget, type IpPolicy } from '../federation/outbound/index.js';
import type { Logger } from '../http/logger.js';
import { actionsHighlight, actionsSound, actionsTweaks, type PushAction } from '../protocol/index.js';
import type { PushQueueRow, PusherRow, Storage } from '../storage/interfaces/index.js';
import type { JsonObject } from '../types/json.js';
import { badgeCount } from './counts.js';

// Delivers queued pushes to push gateways (push gateway API POST /_matrix/push/v1/notify). The queue is
// a table, so pushes survive restarts; a failed delivery is retried with exponential backoff, and a
// gateway's `rejected` pushkeys remove their pushers (spec: the homeserver SHOULD stop sending to them).
// A pusher's URL is whatever a user set, so deliveries obey ip_range_blacklist / ip_range_whitelist like
// federation does (Synapse too): a user cannot make the server post to its own network. They go over node's
// http client, not fetch, which would load undici (~2 MB of heap) on the first push.

export interface GatewaySenderOptions {
  /** First retry delay; doubles per attempt up to maxBackoffMs. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Attempts after which a push is dropped (Synapse gives up after about a day of retries). */
  maxAttempts: number;
  requestTimeoutMs: number;
}

export const DEFAULT_GATEWAY_OPTIONS: GatewaySenderOptions = {
  initialBackoffMs: 1_000,
  maxBackoffMs: 60 * 60_000,
  maxAttempts: 20,
  requestTimeoutMs: 10_000,
};

export interface GatewaySenderDeps {
  storage: Storage;
  logger: Logger;
  now: () => number;
  options?: Partial<GatewaySenderOptions>;
  /** Which gateway addresses may be contacted (checked on every resolved address). */
  ipPolicy: IpPolicy;
}

export interface GatewaySender {
  /** Sends what is due now and schedules the next due row. */
  kick(): void;
  close(): void;
}

/** The notification body for one pusher (push_notifier.yaml), honouring `format: event_id_only`. */
export async function buildNotification(storage: Storage, pusher: PusherRow, row: PushQueueRow): Promise<JsonObject> {
  const actions = row.actions as PushAction[];
  const tweaks = actionsTweaks(actions);
  const ev = await storage.rooms.getEvent(row.eventId);
  // High priority makes phones wake up: for highlights, anything that plays a sound, and encrypted events
  // (whose content only the device can read to decide), as Synapse does.
  const prio = actionsHighlight(actions) || actionsSound(actions) !== undefined || ev?.pdu.type === 'm.room.encrypted' ? 'high' : 'low';
  const { url: _url, ...data } = pusher.data;
  const device: JsonObject = { app_id: pusher.appId, pushkey: pusher.pushkey, pushkey_ts: Math.floor(pusher.createdTs / 1000), data, tweaks };
  const counts: JsonObject = { unread: await badgeCount(storage, row.userId) };
  const notification: JsonObject = { event_id: row.eventId, room_id: row.roomId, counts, devices: [device], prio };
  if (pusher.data.format === 'event_id_only') return { notification };

  if (ev) {
    const pdu = ev.pdu;
    notification.type = pdu.type;
    notification.sender = pdu.sender;
    if (Object.keys(pdu.content).length > 0) notification.content = pdu.content;
    const member = await storage.rooms.getCurrentStateEvent(row.roomId, 'm.room.member', pdu.sender);
    if (typeof member?.pdu.content.displayname === 'string') notification.sender_display_name = member.pdu.content.displayname;
    const name = await storage.rooms.getCurrentStateEvent(row.roomId, 'm.room.name', '');
    if (typeof name?.pdu.content.name === 'string' && name.pdu.content.name !== '') notification.room_name = name.pdu.content.name;
    const alias = await storage.rooms.getCurrentStateEvent(row.roomId, 'm.room.canonical_alias', '');
    if (typeof alias?.pdu.content.alias === 'string') notification.room_alias = alias.pdu.content.alias;
    if (pdu.type === 'm.room.member') notification.user_is_target = pdu.state_key === row.userId;
  }
  return { notification };
}

/** A gateway answers `{"rejected": [...]}`; more than this is not a gateway's answer. */
const MAX_GATEWAY_RESPONSE = 1024 * 1024;

function rejectedKeys(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const rejected = (body as Record<string, unknown>)['rejected'];
  return Array.isArray(rejected) ? rejected.filter((k): k is string => typeof k === 'string') : [];
}

export function createGatewaySender(deps: GatewaySenderDeps): GatewaySender {
  const { storage, logger, now } = deps;
  const opts = { ...DEFAULT_GATEWAY_OPTIONS, ...deps.options };
  // Its own pool: a socket another caller opened under a looser policy is never reused for a pusher's URL.
  const transport = createHttpTransport({ maxSocketsPerHost: 4 });
  let running = false;
  let again = false;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;

  const deliver = async (row: PushQueueRow): Promise<void> => {
    const pusher = await storage.push.getPusherById(row.pusherId);
    if (!pusher) {
      await storage.push.deletePush(row.id);
      return;
    }
    const url = pusher.data.url;
    let ok = false;
    if (typeof url === 'string') {
      try {
        const body = await buildNotification(storage, pusher, row);
        const res = await transport.request({
          ...urlTarget(new URL(url)),
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: Buffer.from(JSON.stringify(body)),
          timeoutMs: opts.requestTimeoutMs,
          maxResponseBytes: MAX_GATEWAY_RESPONSE,
          ipPolicy: deps.ipPolicy,
          verifyCertificates: true,
        });
        if (res.status >= 200 && res.status < 300) {
          ok = true;
          let parsed: unknown = null;
          try {
            parsed = JSON.parse(res.body.toString('utf8'));
          } catch {
            parsed = null;
          }
          if (rejectedKeys(parsed).includes(pusher.pushkey)) {
            logger.info({ appId: pusher.appId, userId: pusher.userId }, 'push gateway rejected pushkey; removing pusher');
            await storage.push.deletePusher(pusher.userId, pusher.appId, pusher.pushkey);
          }
        } else {
          logger.warn({ status: res.status, url }, 'push gateway refused a notification');
        }
      } catch (err) {
        if (err instanceof FederationRequestError && err.kind === 'blocked') logger.warn({ url, reason: err.message }, 'push gateway address refused by ip_range_blacklist');
        else logger.warn({ err, url }, 'push gateway unreachable');
      }
    }
    if (ok || typeof url !== 'string') {
      await storage.push.deletePush(row.id);
      return;
    }
    const attempts = row.attempts + 1;
    if (attempts >= opts.maxAttempts) {
      logger.warn({ eventId: row.eventId, attempts }, 'giving up on a push');
      await storage.push.deletePush(row.id);
      return;
    }
    const delay = Math.min(opts.initialBackoffMs * 2 ** (attempts - 1), opts.maxBackoffMs);
    await storage.push.reschedulePush(row.id, attempts, now() + delay);
  };

  const schedule = async (): Promise<void> => {
    if (closed) return;
    const due = await storage.push.nextPushDue();
    if (due === null) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      kick();
    }, Math.max(0, Math.min(due - now(), 2 ** 31 - 1)));
    timer.unref();
  };

  const run = async (): Promise<void> => {
    for (;;) {
      again = false;
      const rows = await storage.push.duePushes(now(), 50);
      for (const row of rows) {
        if (closed) return;
        await deliver(row);
      }
      if (!again && rows.length < 50) break;
    }
    await schedule();
  };

  const kick = (): void => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    run()
      .catch((err: unknown) => logger.error({ err }, 'push sender failed'))
      .finally(() => {
        running = false;
        if (again) kick();
      });
  };

  return {
    kick,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      transport.close();
    },
  };
}
