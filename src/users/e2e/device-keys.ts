import { invalidParam } from '../../errors/index.js';
import type { DeviceId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { Requester } from '../../types/requester.js';
import type { SignatureRow } from '../../storage/interfaces/index.js';
import type { E2eContext } from './context.js';
import { checkDeviceKeys, identityKeysOf, isObject, parseKeyMap } from './key-checks.js';
import { canonicalJson } from '../../crypto/index.js';

// POST /keys/upload, /keys/query and /keys/claim.

export interface UploadKeysBody {
  device_keys?: JsonObject;
  one_time_keys?: JsonObject;
  fallback_keys?: JsonObject;
  /** The unstable name some older clients still send. */
  'org.matrix.msc2732.fallback_keys'?: JsonObject;
}

export interface QueryKeysResult {
  device_keys: Record<UserId, Record<DeviceId, JsonObject>>;
  master_keys: Record<UserId, JsonObject>;
  self_signing_keys: Record<UserId, JsonObject>;
  user_signing_keys: Record<UserId, JsonObject>;
  failures: Record<string, JsonObject>;
}

export interface ClaimKeysResult {
  one_time_keys: Record<UserId, Record<DeviceId, Record<string, JsonObject | string>>>;
  failures: Record<string, JsonObject>;
}

function requireDevice(requester: Requester): DeviceId {
  if (requester.deviceId === null) throw invalidParam('Encryption keys can only be uploaded by a device; this access token has none');
  return requester.deviceId;
}

/** One-time key counts; signed_curve25519 is always listed, like Synapse, because clients key off it. */
export async function oneTimeKeyCounts(ctx: E2eContext, userId: UserId, deviceId: DeviceId): Promise<Record<string, number>> {
  const counts = await ctx.storage.e2e.countOneTimeKeys(userId, deviceId);
  return { signed_curve25519: 0, ...counts };
}

export async function uploadKeys(ctx: E2eContext, requester: Requester, body: UploadKeysBody): Promise<{ one_time_key_counts: Record<string, number> }> {
  const userId = requester.userId;
  const deviceId = requireDevice(requester);
  const store = ctx.storage.e2e;

  // Validate everything before storing anything, so a bad request changes nothing.
  const oneTime = body.one_time_keys === undefined ? [] : parseKeyMap(body.one_time_keys, 'one_time_keys');
  const fallbackMap = body.fallback_keys ?? body['org.matrix.msc2732.fallback_keys'];
  const fallback = fallbackMap === undefined ? [] : parseKeyMap(fallbackMap, 'fallback_keys');
  const seen = new Set<string>();
  for (const k of fallback) {
    if (seen.has(k.algorithm)) throw invalidParam(`fallback_keys: at most one key per algorithm (${k.algorithm})`);
    seen.add(k.algorithm);
  }

  if (body.device_keys !== undefined) {
    const deviceKeys = body.device_keys;
    checkDeviceKeys(deviceKeys, userId, deviceId);
    const existing = (await store.getDeviceKeys(userId, [deviceId])).get(deviceId);
    if (existing !== undefined && identityKeysOf(existing) !== identityKeysOf(deviceKeys)) {
      // Other devices pinned the old identity keys; a device that lost them must log in as a new device.
      throw invalidParam(`Device ${deviceId} already has different identity keys; they cannot be replaced`);
    }
    if (existing === undefined || canonicalJson(existing) !== canonicalJson(deviceKeys)) {
      await ctx.recordDeviceListChange([userId], (streamId) => store.setDeviceKeys(userId, deviceId, deviceKeys, streamId, ctx.now()), {
        deviceIds: [deviceId],
      });
    }
  }

  if (oneTime.length > 0) {
    const { conflicts } = await store.addOneTimeKeys(userId, deviceId, oneTime, ctx.now());
    const first = conflicts[0];
    if (first !== undefined) {
      throw invalidParam(`One-time key ${first.algorithm}:${first.keyId} already exists with different content`);
    }
  }
  if (fallback.length > 0) await store.setFallbackKeys(userId, deviceId, fallback);

  return { one_time_key_counts: await oneTimeKeyCounts(ctx, userId, deviceId) };
}

/** Adds stored signatures visible to `viewer` (the owner's own, and the viewer's) into a key object. */
function withSignatures(obj: JsonObject, rows: readonly SignatureRow[], owner: UserId, viewer: UserId): JsonObject {
  const visible = rows.filter((r) => r.signerUserId === owner || r.signerUserId === viewer);
  if (visible.length === 0) return obj;
  const sigs: Record<string, Record<string, string>> = {};
  const existing = isObject(obj.signatures) ? obj.signatures : {};
  for (const [signer, byKey] of Object.entries(existing)) {
    if (!isObject(byKey)) continue;
    sigs[signer] = {};
    for (const [keyId, sig] of Object.entries(byKey)) if (typeof sig === 'string') sigs[signer][keyId] = sig;
  }
  for (const r of visible) (sigs[r.signerUserId] ??= {})[r.signerKeyId] = r.signature;
  return { ...obj, signatures: sigs };
}

function serverOf(userId: UserId): string {
  return userId.slice(userId.indexOf(':') + 1);
}

export async function queryKeys(
  ctx: E2eContext,
  requester: Requester,
  query: Record<UserId, string[]>,
  timeoutMs: number,
): Promise<QueryKeysResult> {
  const result: QueryKeysResult = { device_keys: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {}, failures: {} };
  const remote = new Map<string, Record<UserId, string[]>>();
  for (const [userId, deviceIds] of Object.entries(query)) {
    if (ctx.isLocal(userId)) await queryLocalUser(ctx, requester.userId, userId, deviceIds, result);
    else {
      const server = serverOf(userId);
      let forServer = remote.get(server);
      if (forServer === undefined) remote.set(server, (forServer = {}));
      forServer[userId] = deviceIds;
    }
  }
  await Promise.all(
    [...remote].map(async ([server, users]) => {
      if (ctx.remote === undefined) {
        result.failures[server] = { status: 503, message: 'Federation is not available on this server yet' };
        return;
      }
      try {
        mergeRemoteQuery(result, await ctx.remote.queryKeys(server, users, timeoutMs));
      } catch (err) {
        ctx.logger.info({ err, server }, 'remote key query failed');
        result.failures[server] = { status: 503, message: 'Remote server could not be reached' };
      }
    }),
  );
  return result;
}

function mergeRemoteQuery(result: QueryKeysResult, answer: JsonObject): void {
  for (const field of ['device_keys', 'master_keys', 'self_signing_keys'] as const) {
    const part = answer[field];
    if (!isObject(part)) continue;
    for (const [userId, value] of Object.entries(part)) {
      if (isObject(value)) (result[field] as Record<string, JsonObject>)[userId] = value;
    }
  }
}

async function queryLocalUser(
  ctx: E2eContext,
  viewer: UserId,
  userId: UserId,
  wanted: readonly string[],
  result: QueryKeysResult,
): Promise<void> {
  const store = ctx.storage.e2e;
  const devices = await ctx.storage.accounts.listDevices(userId);
  const names = new Map(devices.map((d) => [d.deviceId, d.displayName]));
  const keys = await store.getDeviceKeys(userId, wanted.length > 0 ? wanted : undefined);
  const crossSigning = await store.getCrossSigningKeys(userId);
  const targets = [...keys.keys()];
  for (const k of crossSigning.values()) targets.push(k.publicKey);
  const signatures = await store.getSignaturesOn(userId, targets);
  const byTarget = new Map<string, SignatureRow[]>();
  for (const s of signatures) {
    const list = byTarget.get(s.targetKeyId);
    if (list) list.push(s);
    else byTarget.set(s.targetKeyId, [s]);
  }

  const out: Record<DeviceId, JsonObject> = {};
  for (const [deviceId, obj] of keys) {
    // Keys of a device that no longer exists are never served, even if they outlived it.
    if (!names.has(deviceId)) continue;
    const signed = withSignatures(obj, byTarget.get(deviceId) ?? [], userId, viewer);
    const name = names.get(deviceId);
    out[deviceId] = { ...signed, unsigned: name ? { device_display_name: name } : {} };
  }
  result.device_keys[userId] = out;

  const master = crossSigning.get('master');
  if (master) result.master_keys[userId] = withSignatures(master.key, byTarget.get(master.publicKey) ?? [], userId, viewer);
  const selfSigning = crossSigning.get('self_signing');
  if (selfSigning) result.self_signing_keys[userId] = selfSigning.key;
  const userSigning = crossSigning.get('user_signing');
  // The user-signing key shows whom a user verified; only its owner gets it.
  if (userSigning && userId === viewer) result.user_signing_keys[userId] = userSigning.key;
}

export async function claimKeys(
  ctx: E2eContext,
  wanted: Record<UserId, Record<DeviceId, string>>,
  timeoutMs: number,
): Promise<ClaimKeysResult> {
  const result: ClaimKeysResult = { one_time_keys: {}, failures: {} };
  const remote = new Map<string, Record<UserId, Record<DeviceId, string>>>();
  for (const [userId, devices] of Object.entries(wanted)) {
    if (!ctx.isLocal(userId)) {
      const server = serverOf(userId);
      let forServer = remote.get(server);
      if (forServer === undefined) remote.set(server, (forServer = {}));
      forServer[userId] = devices;
      continue;
    }
    for (const [deviceId, algorithm] of Object.entries(devices)) {
      const claimed = await ctx.storage.e2e.claimKey(userId, deviceId, algorithm);
      if (claimed === undefined) continue;
      ((result.one_time_keys[userId] ??= {})[deviceId] ??= {})[`${claimed.algorithm}:${claimed.keyId}`] = claimed.key;
    }
  }
  await Promise.all(
    [...remote].map(async ([server, users]) => {
      if (ctx.remote === undefined) {
        result.failures[server] = { status: 503, message: 'Federation is not available on this server yet' };
        return;
      }
      try {
        const answer = await ctx.remote.claimKeys(server, users, timeoutMs);
        const keys = answer.one_time_keys;
        if (isObject(keys)) {
          for (const [userId, devices] of Object.entries(keys)) {
            if (isObject(devices)) result.one_time_keys[userId] = devices as Record<DeviceId, Record<string, JsonObject | string>>;
          }
        }
      } catch (err) {
        ctx.logger.info({ err, server }, 'remote key claim failed');
        result.failures[server] = { status: 503, message: 'Remote server could not be reached' };
      }
    }),
  );
  return result;
}
