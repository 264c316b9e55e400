import type { Knex } from 'knex';
import type { ClaimedKey, OneTimeKeyRow } from '../interfaces/index.js';
import type { JsonObject } from '../../types/json.js';
import type { Dialect } from './dialect.js';
import { toSafeNumber } from './dialect.js';

// Device identity keys, one-time keys and fallback keys (migrations/0006_e2e.ts).

export function parseJsonObject(text: string, what: string): JsonObject {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what}: stored JSON is not an object`);
  return value as JsonObject;
}

/** One-time keys may be bare strings (unsigned curve25519) or signed key objects. */
function parseKey(text: string): JsonObject | string {
  const value: unknown = JSON.parse(text);
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  throw new Error('one-time key: stored JSON is neither a string nor an object');
}

export function asBool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't';
}

/** Splits a list for `whereIn` so no statement exceeds the engine's bound-parameter limit. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function getDeviceKeys(
  knex: Knex,
  dialect: Dialect,
  userId: string,
  deviceIds?: readonly string[],
): Promise<Map<string, JsonObject>> {
  const out = new Map<string, JsonObject>();
  const load = async (ids?: readonly string[]) => {
    const q = knex('e2e_device_keys').select('device_id', 'key_json').where({ user_id: userId });
    if (ids) q.whereIn('device_id', [...ids]);
    const rows: Array<{ device_id: string; key_json: string }> = await q;
    for (const r of rows) out.set(r.device_id, parseJsonObject(r.key_json, 'device keys'));
  };
  if (deviceIds === undefined) await load();
  else for (const part of chunks(deviceIds, dialect.maxBindParams - 10)) await load(part);
  return out;
}

export async function setDeviceKeys(
  knex: Knex,
  dialect: Dialect,
  userId: string,
  deviceId: string,
  keys: JsonObject,
  streamId: number,
  now: number,
): Promise<void> {
  await knex.transaction(async (trx) => {
    await dialect.upsert(
      trx,
      'e2e_device_keys',
      { user_id: userId, device_id: deviceId, key_json: JSON.stringify(keys), ts_added: now },
      ['user_id', 'device_id'],
    );
    await trx('device_lists_stream').insert({ stream_id: streamId, user_id: userId });
  });
}

export async function deleteDevices(knex: Knex, userId: string, deviceIds: readonly string[], streamId: number): Promise<void> {
  await knex.transaction(async (trx) => {
    for (const part of chunks(deviceIds, 500)) {
      for (const table of ['e2e_device_keys', 'e2e_one_time_keys', 'e2e_fallback_keys', 'device_inbox']) {
        await trx(table).where({ user_id: userId }).whereIn('device_id', part).delete();
      }
      await trx('e2e_cross_signing_signatures').where({ target_user_id: userId }).whereIn('target_key_id', part).delete();
    }
    await trx('device_lists_stream').insert({ stream_id: streamId, user_id: userId });
  });
}

export async function addOneTimeKeys(
  knex: Knex,
  dialect: Dialect,
  userId: string,
  deviceId: string,
  keys: readonly OneTimeKeyRow[],
  now: number,
): Promise<{ conflicts: Array<{ algorithm: string; keyId: string }> }> {
  if (keys.length === 0) return { conflicts: [] };
  return knex.transaction(async (trx) => {
    const existing = new Map<string, string>();
    for (const part of chunks(keys, 400)) {
      const rows: Array<{ algorithm: string; key_id: string; key_json: string }> = await trx('e2e_one_time_keys')
        .select('algorithm', 'key_id', 'key_json')
        .where({ user_id: userId, device_id: deviceId })
        .whereIn('key_id', part.map((k) => k.keyId));
      for (const r of rows) existing.set(`${r.algorithm}:${r.key_id}`, r.key_json);
    }
    const conflicts: Array<{ algorithm: string; keyId: string }> = [];
    const fresh: Array<Record<string, unknown>> = [];
    for (const k of keys) {
      const json = JSON.stringify(k.key);
      const old = existing.get(`${k.algorithm}:${k.keyId}`);
      if (old === undefined) {
        fresh.push({ user_id: userId, device_id: deviceId, algorithm: k.algorithm, key_id: k.keyId, key_json: json, ts_added: now });
        existing.set(`${k.algorithm}:${k.keyId}`, json);
      } else if (!sameJson(old, json)) {
        conflicts.push({ algorithm: k.algorithm, keyId: k.keyId });
      }
    }
    if (conflicts.length > 0) return { conflicts };
    for (const part of chunks(fresh, dialect.batchSize(6))) await trx('e2e_one_time_keys').insert(part);
    return { conflicts };
  });
}

/** Stored JSON text compared structurally, so key order from another client library does not matter. */
function sameJson(a: string, b: string): boolean {
  if (a === b) return true;
  return canonical(JSON.parse(a)) === canonical(JSON.parse(b));
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export async function countOneTimeKeys(knex: Knex, userId: string, deviceId: string): Promise<Record<string, number>> {
  const rows: Array<{ algorithm: string; n: unknown }> = await knex('e2e_one_time_keys')
    .select('algorithm')
    .count({ n: '*' })
    .where({ user_id: userId, device_id: deviceId })
    .groupBy('algorithm');
  const out: Record<string, number> = {};
  for (const r of rows) out[r.algorithm] = toSafeNumber(r.n, 'one-time key count');
  return out;
}

/** One-time key counts of many devices from one statement (coalesced-reads.ts); one answer per pair, in order. */
export async function countOneTimeKeysOfDevices(
  knex: Knex,
  devices: readonly { userId: string; deviceId: string }[],
): Promise<Array<Record<string, number>>> {
  if (devices.length === 1) return [await countOneTimeKeys(knex, (devices[0] as { userId: string }).userId, (devices[0] as { deviceId: string }).deviceId)];
  // By user: the (user_id, device_id, ...) index serves it; other devices of these users are dropped below.
  const rows: Array<{ user_id: string; device_id: string; algorithm: string; n: unknown }> = await knex('e2e_one_time_keys')
    .select('user_id', 'device_id', 'algorithm')
    .count({ n: '*' })
    .whereIn('user_id', [...new Set(devices.map((d) => d.userId))])
    .groupBy('user_id', 'device_id', 'algorithm');
  const byDevice = new Map<string, Record<string, number>>();
  for (const r of rows) {
    const k = `${r.user_id}\0${r.device_id}`;
    const counts = byDevice.get(k) ?? {};
    counts[r.algorithm] = toSafeNumber(r.n, 'one-time key count');
    byDevice.set(k, counts);
  }
  return devices.map((d) => ({ ...byDevice.get(`${d.userId}\0${d.deviceId}`) }));
}

/** Unused fallback key algorithms of many devices from one statement; one answer per pair, in order. */
export async function getUnusedFallbackKeyTypesOfDevices(knex: Knex, devices: readonly { userId: string; deviceId: string }[]): Promise<string[][]> {
  if (devices.length === 1) return [await getUnusedFallbackKeyTypes(knex, (devices[0] as { userId: string }).userId, (devices[0] as { deviceId: string }).deviceId)];
  const rows: Array<{ user_id: string; device_id: string; algorithm: string; used: unknown }> = await knex('e2e_fallback_keys')
    .select('user_id', 'device_id', 'algorithm', 'used')
    .whereIn('user_id', [...new Set(devices.map((d) => d.userId))]);
  const byDevice = new Map<string, string[]>();
  for (const r of rows) {
    if (asBool(r.used)) continue;
    const k = `${r.user_id}\0${r.device_id}`;
    const list = byDevice.get(k);
    if (list) list.push(r.algorithm);
    else byDevice.set(k, [r.algorithm]);
  }
  return devices.map((d) => [...(byDevice.get(`${d.userId}\0${d.deviceId}`) ?? [])].sort());
}

export async function claimKey(knex: Knex, userId: string, deviceId: string, algorithm: string): Promise<ClaimedKey | undefined> {
  // Select-then-delete, retried when a concurrent claim deleted the row first: each key goes out once
  // without engine-specific locking SQL.
  for (;;) {
    const oldest: { id: unknown; key_id: string; key_json: string } | undefined = await knex('e2e_one_time_keys')
      .select('id', 'key_id', 'key_json')
      .where({ user_id: userId, device_id: deviceId, algorithm })
      .orderBy('id', 'asc')
      .first();
    if (oldest === undefined) break;
    const deleted = await knex('e2e_one_time_keys').where({ id: toSafeNumber(oldest.id, 'one-time key id') }).delete();
    if (deleted === 1) return { algorithm, keyId: oldest.key_id, key: parseKey(oldest.key_json) };
  }
  const fallback: { key_id: string; key_json: string } | undefined = await knex('e2e_fallback_keys')
    .select('key_id', 'key_json')
    .where({ user_id: userId, device_id: deviceId, algorithm })
    .first();
  if (fallback === undefined) return undefined;
  await knex('e2e_fallback_keys').where({ user_id: userId, device_id: deviceId, algorithm, key_id: fallback.key_id }).update({ used: true });
  return { algorithm, keyId: fallback.key_id, key: parseKey(fallback.key_json) };
}

export async function setFallbackKeys(
  knex: Knex,
  userId: string,
  deviceId: string,
  keys: readonly OneTimeKeyRow[],
): Promise<void> {
  if (keys.length === 0) return;
  await knex.transaction(async (trx) => {
    for (const k of keys) {
      const json = JSON.stringify(k.key);
      const where = { user_id: userId, device_id: deviceId, algorithm: k.algorithm };
      const old: { key_id: string; key_json: string } | undefined = await trx('e2e_fallback_keys').select('key_id', 'key_json').where(where).first();
      // Re-uploading the same key (a retried request) must not make a used key look unused again.
      if (old !== undefined && old.key_id === k.keyId && sameJson(old.key_json, json)) continue;
      if (old !== undefined) await trx('e2e_fallback_keys').where(where).delete();
      await trx('e2e_fallback_keys').insert({ ...where, key_id: k.keyId, key_json: json, used: false });
    }
  });
}

export async function getUnusedFallbackKeyTypes(knex: Knex, userId: string, deviceId: string): Promise<string[]> {
  const rows: Array<{ algorithm: string; used: unknown }> = await knex('e2e_fallback_keys')
    .select('algorithm', 'used')
    .where({ user_id: userId, device_id: deviceId });
  return rows.filter((r) => !asBool(r.used)).map((r) => r.algorithm).sort();
}
