import type { DeviceId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { Requester } from '../../types/requester.js';
import type { ToDeviceMessage } from '../../storage/interfaces/index.js';
import type { E2eContext } from './context.js';

// PUT /sendToDevice/{type}/{txnId} and the to_device section of /sync. Messages are stored durably per
// recipient device and deleted only when that device syncs with a token past them (the acknowledgement),
// so they survive restarts and a lost /sync response is simply delivered again.

/** Most to-device messages one /sync response carries (the spec recommends 100). */
export const TO_DEVICE_SYNC_LIMIT = 100;

export async function sendToDevice(
  ctx: E2eContext,
  requester: Requester,
  type: string,
  txnId: string,
  messages: Record<UserId, Record<string, JsonObject>>,
): Promise<void> {
  const sender = requester.userId;
  const local: ToDeviceMessage[] = [];
  const remote = new Map<string, Record<UserId, Record<string, JsonObject>>>();
  for (const [userId, byDevice] of Object.entries(messages)) {
    if (!ctx.isLocal(userId)) {
      const server = userId.slice(userId.indexOf(':') + 1);
      let forServer = remote.get(server);
      if (forServer === undefined) remote.set(server, (forServer = {}));
      forServer[userId] = byDevice;
      continue;
    }
    const devices = new Set((await ctx.storage.accounts.listDevices(userId)).map((d) => d.deviceId));
    // A message addressed to one device wins over the wildcard for that device: one message per device.
    const targets = new Map<DeviceId, JsonObject>();
    const wildcard = byDevice['*'];
    if (wildcard !== undefined) for (const d of devices) targets.set(d, wildcard);
    for (const [deviceId, content] of Object.entries(byDevice)) {
      if (deviceId !== '*' && devices.has(deviceId)) targets.set(deviceId, content);
    }
    for (const [deviceId, content] of targets) local.push({ userId, deviceId, message: { type, sender, content } });
  }

  const gen = await ctx.toDeviceIds();
  const allocation = gen.getNext();
  let fresh: boolean;
  try {
    fresh = await ctx.storage.e2e.addToDeviceMessages(
      { userId: sender, deviceId: requester.deviceId ?? '', txnId },
      local,
      allocation.id,
      ctx.now(),
    );
  } finally {
    allocation.done();
  }
  if (!fresh) return; // a retried transaction: already queued (and already forwarded) the first time
  if (local.length > 0) {
    ctx.notices.publish({ stream: 'to_device', position: allocation.id, userIds: [...new Set(local.map((m) => m.userId))] });
  }
  for (const [server, forServer] of remote) {
    if (ctx.remote === undefined) {
      ctx.logger.info({ server, type }, 'dropping to-device messages for a remote server: federation is not available');
      continue;
    }
    const messageId = `${sender}|${requester.deviceId ?? ''}|${txnId}`;
    await ctx.remote.sendToDevice(server, sender, type, messageId, forServer).catch((err: unknown) => {
      ctx.logger.warn({ err, server }, 'could not queue to-device messages for a remote server');
    });
  }
}

export interface ToDeviceSyncResult {
  events: JsonObject[];
  /** The to-device position for next_batch: past every delivered message and no further. */
  position: number;
}

/**
 * The to_device section for one /sync of `deviceId`. `since` is the to-device position of the request's
 * token (null for an initial sync): the client has seen everything up to it, so those messages are
 * deleted now. `upTo` is the stream's current position when the sync started. With a `limit`, at most that
 * many messages are returned and the position stops at the last one; with null, everything up to `upTo`
 * is returned (for callers whose next token cannot stop short of `upTo`: it must never pass an undelivered message).
 */
export async function syncToDevice(
  ctx: E2eContext,
  userId: UserId,
  deviceId: DeviceId,
  since: number | null,
  upTo: number,
  limit: number | null = TO_DEVICE_SYNC_LIMIT,
): Promise<ToDeviceSyncResult> {
  const store = ctx.storage.e2e;
  if (since !== null && since > 0) await store.deleteToDeviceMessages(userId, deviceId, since);
  const after = since ?? 0;
  const events: JsonObject[] = [];
  let cursor = after;
  for (;;) {
    const want = limit === null ? PAGE : Math.min(PAGE, limit - events.length);
    const page = await store.getToDeviceMessages(userId, deviceId, cursor, upTo, want);
    for (const m of page) events.push(m.message);
    const last = page[page.length - 1];
    if (last !== undefined) cursor = last.streamId;
    if (page.length < want) break; // nothing more up to `upTo`
    // A full page under a limit means more may be waiting: stop the token at the last message sent.
    if (limit !== null && events.length >= limit) return { events, position: cursor };
  }
  return { events, position: Math.max(upTo, after) };
}

/** Rows fetched per query. */
const PAGE = 500;
