import type { DeviceId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { ToDeviceMessage } from '../../storage/interfaces/index.js';
import type { E2eContext } from './context.js';
import { queryKeys } from './device-keys.js';

// The federation side of E2EE that lives with the keys: what other servers told us (a remote user's device
// list changed; to-device messages for our users) and what we tell them (a snapshot of a local user's
// devices and cross-signing keys for m.device_list_update / m.signing_key_update).

/**
 * A remote user's devices or cross-signing keys changed. Their keys are asked of their server on every
 * /keys/query, so nothing is cached to update: local users sharing a room just learn (device_lists.changed)
 * that they must refetch.
 */
export async function applyRemoteDeviceListChange(ctx: E2eContext, userId: UserId): Promise<void> {
  if (ctx.isLocal(userId)) return;
  await ctx.recordDeviceListChange([userId], (streamId) => ctx.storage.e2e.markDeviceListsChanged([userId], streamId));
}

/**
 * An m.direct_to_device EDU: `messages` for our users from `sender` (whose server the caller checked).
 * `messageId` makes a redelivered EDU a no-op, the way a client's txnId does for local sends.
 */
export async function deliverRemoteToDevice(
  ctx: E2eContext,
  sender: UserId,
  type: string,
  messageId: string,
  messages: Record<UserId, Record<string, JsonObject>>,
): Promise<number> {
  const local: ToDeviceMessage[] = [];
  for (const [userId, byDevice] of Object.entries(messages)) {
    if (!ctx.isLocal(userId)) continue;
    const devices = new Set((await ctx.storage.accounts.listDevices(userId)).map((d) => d.deviceId));
    const targets = new Map<DeviceId, JsonObject>();
    const wildcard = byDevice['*'];
    if (wildcard !== undefined) for (const d of devices) targets.set(d, wildcard);
    for (const [deviceId, content] of Object.entries(byDevice)) {
      if (deviceId !== '*' && devices.has(deviceId)) targets.set(deviceId, content);
    }
    for (const [deviceId, content] of targets) local.push({ userId, deviceId, message: { type, sender, content } });
  }
  if (local.length === 0) return 0;
  const gen = await ctx.toDeviceIds();
  const allocation = gen.getNext();
  let fresh: boolean;
  try {
    // The remote sender has no device here; its message id stands in for the transaction id.
    fresh = await ctx.storage.e2e.addToDeviceMessages({ userId: sender, deviceId: '', txnId: `fed:${messageId}` }, local, allocation.id, ctx.now());
  } finally {
    allocation.done();
  }
  if (!fresh) return 0;
  ctx.notices.publish({ stream: 'to_device', position: allocation.id, userIds: [...new Set(local.map((m) => m.userId))] });
  return local.length;
}

export interface LocalDeviceSnapshot {
  devices: { deviceId: DeviceId; displayName: string | null; keys?: JsonObject }[];
  masterKey?: JsonObject;
  selfSigningKey?: JsonObject;
}

/** A local user's devices (with their keys) and public cross-signing keys, as other servers see them. */
export async function localDeviceSnapshot(ctx: E2eContext, userId: UserId): Promise<LocalDeviceSnapshot> {
  const devices = await ctx.storage.accounts.listDevices(userId);
  // Read as a key query by nobody in particular, so the keys carry the signatures any other user would see.
  const viewer = { userId: `@:${ctx.config.serverName}`, deviceId: null, accessTokenId: null, isGuest: false, appserviceId: null };
  const answer = await queryKeys(ctx, viewer, { [userId]: [] }, 0);
  const keys = answer.device_keys[userId] ?? {};
  const out: LocalDeviceSnapshot = {
    devices: devices.map((d) => {
      const k = keys[d.deviceId];
      if (k === undefined) return { deviceId: d.deviceId, displayName: d.displayName };
      const { unsigned: _unsigned, ...bare } = k;
      return { deviceId: d.deviceId, displayName: d.displayName, keys: bare };
    }),
  };
  const master = answer.master_keys[userId];
  if (master) out.masterKey = master;
  const selfSigning = answer.self_signing_keys[userId];
  if (selfSigning) out.selfSigningKey = selfSigning;
  return out;
}
