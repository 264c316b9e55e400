import type { Knex } from 'knex';
import type { BackupVersionRow, RoomKeyData, RoomKeyRow } from '../interfaces/index.js';
import type { JsonObject } from '../../types/json.js';
import type { Dialect } from './dialect.js';
import { toSafeNumber } from './dialect.js';
import { asBool, parseJsonObject } from './e2e-device-keys.js';

// Server-side key backup (migrations/0006_e2e.ts): versions with an etag, and encrypted session keys.

interface VersionDbRow {
  version: unknown;
  algorithm: string;
  auth_data: string;
  etag: unknown;
}

interface RoomKeyDbRow {
  room_id: string;
  session_id: string;
  first_message_index: unknown;
  forwarded_count: unknown;
  is_verified: unknown;
  session_data: string;
}

function toVersion(r: VersionDbRow): BackupVersionRow {
  return {
    version: toSafeNumber(r.version, 'backup version'),
    algorithm: r.algorithm,
    authData: parseJsonObject(r.auth_data, 'backup auth_data'),
    etag: toSafeNumber(r.etag, 'backup etag'),
  };
}

function toRoomKey(r: RoomKeyDbRow): RoomKeyRow {
  return {
    roomId: r.room_id,
    sessionId: r.session_id,
    firstMessageIndex: toSafeNumber(r.first_message_index, 'first_message_index'),
    forwardedCount: toSafeNumber(r.forwarded_count, 'forwarded_count'),
    isVerified: asBool(r.is_verified),
    sessionData: parseJsonObject(r.session_data, 'session_data'),
  };
}

export async function createBackupVersion(
  knex: Knex,
  dialect: Dialect,
  userId: string,
  algorithm: string,
  authData: JsonObject,
): Promise<number> {
  // Two concurrent creates may pick the same number (Postgres); the loser retries with the next one.
  for (let attempt = 0; ; attempt++) {
    try {
      return await knex.transaction(async (trx) => {
        const row: { m?: unknown } | undefined = await trx('e2e_room_keys_versions').max({ m: 'version' }).where({ user_id: userId }).first();
        const version = row?.m === null || row?.m === undefined ? 1 : toSafeNumber(row.m, 'backup version') + 1;
        await trx('e2e_room_keys_versions').insert({
          user_id: userId,
          version,
          algorithm,
          auth_data: JSON.stringify(authData),
          etag: 0,
          deleted: false,
        });
        return version;
      });
    } catch (err) {
      if (attempt >= 5 || !dialect.isUniqueViolation(err)) throw err;
    }
  }
}

export async function getBackupVersion(knex: Knex | Knex.Transaction, userId: string, version?: number): Promise<BackupVersionRow | undefined> {
  const q = knex('e2e_room_keys_versions')
    .select('version', 'algorithm', 'auth_data', 'etag')
    .where({ user_id: userId, deleted: false });
  if (version !== undefined) q.andWhere({ version });
  const row: VersionDbRow | undefined = await q.orderBy('version', 'desc').first();
  return row === undefined ? undefined : toVersion(row);
}

export async function updateBackupVersion(knex: Knex, userId: string, version: number, authData: JsonObject): Promise<boolean> {
  const n = await knex('e2e_room_keys_versions')
    .where({ user_id: userId, version, deleted: false })
    .update({ auth_data: JSON.stringify(authData) });
  return n > 0;
}

export async function deleteBackupVersion(knex: Knex, userId: string, version: number): Promise<boolean> {
  return knex.transaction(async (trx) => {
    const n = await trx('e2e_room_keys_versions').where({ user_id: userId, version }).update({ deleted: true });
    await trx('e2e_room_keys').where({ user_id: userId, version }).delete();
    return n > 0;
  });
}

export async function countRoomKeys(knex: Knex | Knex.Transaction, userId: string, version: number): Promise<number> {
  const row: { n?: unknown } | undefined = await knex('e2e_room_keys').count({ n: '*' }).where({ user_id: userId, version }).first();
  return row === undefined ? 0 : toSafeNumber(row.n, 'room key count');
}

export async function getRoomKeys(
  knex: Knex,
  userId: string,
  version: number,
  roomId?: string,
  sessionId?: string,
): Promise<RoomKeyRow[]> {
  const q = knex('e2e_room_keys').select('*').where({ user_id: userId, version });
  if (roomId !== undefined) q.andWhere({ room_id: roomId });
  if (sessionId !== undefined) q.andWhere({ session_id: sessionId });
  const rows: RoomKeyDbRow[] = await q;
  return rows.map(toRoomKey);
}

async function etagAndCount(trx: Knex.Transaction, userId: string, version: number, bump: boolean): Promise<{ etag: number; count: number }> {
  if (bump) await trx('e2e_room_keys_versions').where({ user_id: userId, version }).increment('etag', 1);
  const v: { etag: unknown } | undefined = await trx('e2e_room_keys_versions').select('etag').where({ user_id: userId, version }).first();
  return { etag: v === undefined ? 0 : toSafeNumber(v.etag, 'backup etag'), count: await countRoomKeys(trx, userId, version) };
}

export async function putRoomKeys(
  knex: Knex,
  dialect: Dialect,
  userId: string,
  version: number,
  keys: readonly RoomKeyRow[],
  keepExisting: (existing: RoomKeyData, incoming: RoomKeyData) => boolean,
): Promise<{ etag: number; count: number }> {
  return knex.transaction(async (trx) => {
    const rooms = [...new Set(keys.map((k) => k.roomId))];
    const existing = new Map<string, RoomKeyRow>();
    for (const roomId of rooms) {
      const rows: RoomKeyDbRow[] = await trx('e2e_room_keys').select('*').where({ user_id: userId, version, room_id: roomId });
      for (const r of rows) existing.set(`${r.room_id}\u0000${r.session_id}`, toRoomKey(r));
    }
    const writes = new Map<string, Record<string, unknown>>();
    for (const k of keys) {
      const id = `${k.roomId}\u0000${k.sessionId}`;
      const old = existing.get(id);
      if (old !== undefined && keepExisting(old, k)) continue;
      existing.set(id, k);
      writes.set(id, {
        user_id: userId,
        version,
        room_id: k.roomId,
        session_id: k.sessionId,
        first_message_index: k.firstMessageIndex,
        forwarded_count: k.forwardedCount,
        is_verified: k.isVerified,
        session_data: JSON.stringify(k.sessionData),
      });
    }
    if (writes.size > 0) {
      await dialect.upsert(trx, 'e2e_room_keys', [...writes.values()], ['user_id', 'version', 'room_id', 'session_id']);
    }
    return etagAndCount(trx, userId, version, writes.size > 0);
  });
}

export async function deleteRoomKeys(
  knex: Knex,
  userId: string,
  version: number,
  roomId?: string,
  sessionId?: string,
): Promise<{ etag: number; count: number }> {
  return knex.transaction(async (trx) => {
    const q = trx('e2e_room_keys').where({ user_id: userId, version });
    if (roomId !== undefined) q.andWhere({ room_id: roomId });
    if (sessionId !== undefined) q.andWhere({ session_id: sessionId });
    const n = await q.delete();
    return etagAndCount(trx, userId, version, n > 0);
  });
}
