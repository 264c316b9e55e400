import { MatrixError, invalidParam, notFound } from '../../errors/index.js';
import type { RoomId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { Requester } from '../../types/requester.js';
import type { BackupVersionRow, RoomKeyData, RoomKeyRow } from '../../storage/interfaces/index.js';
import type { E2eContext } from './context.js';

// Server-side key backup (/room_keys/*). The server stores encrypted session keys per backup version;
// only the newest live version accepts writes.

export interface KeyBackupData {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: JsonObject;
}

export interface BackupVersionInfo {
  algorithm: string;
  auth_data: JsonObject;
  count: number;
  etag: string;
  version: string;
}

export type RoomsKeyBackup = Record<RoomId, { sessions: Record<string, KeyBackupData> }>;

/**
 * The spec's replacement rule: a verified key beats an unverified one, then the lower first_message_index
 * wins, then the lower forwarded_count. On a full tie the stored key stays (a retried upload changes nothing).
 */
export function keepExistingRoomKey(existing: RoomKeyData, incoming: RoomKeyData): boolean {
  if (existing.isVerified !== incoming.isVerified) return existing.isVerified;
  if (existing.firstMessageIndex !== incoming.firstMessageIndex) return existing.firstMessageIndex < incoming.firstMessageIndex;
  return existing.forwardedCount <= incoming.forwardedCount;
}

/** Backup versions are decimal integers we issued; anything else names no backup. */
function parseVersion(version: string): number | undefined {
  if (!/^[1-9]\d{0,14}$/.test(version)) return undefined;
  return Number(version);
}

const unknownVersion = () => notFound('Unknown backup version');

async function info(ctx: E2eContext, userId: string, row: BackupVersionRow): Promise<BackupVersionInfo> {
  return {
    algorithm: row.algorithm,
    auth_data: row.authData,
    count: await ctx.storage.e2e.countRoomKeys(userId, row.version),
    etag: String(row.etag),
    version: String(row.version),
  };
}

export async function createBackupVersion(ctx: E2eContext, requester: Requester, algorithm: string, authData: JsonObject): Promise<{ version: string }> {
  const version = await ctx.storage.e2e.createBackupVersion(requester.userId, algorithm, authData);
  return { version: String(version) };
}

export async function getBackupVersion(ctx: E2eContext, requester: Requester, version?: string): Promise<BackupVersionInfo> {
  const n = version === undefined ? undefined : parseVersion(version);
  if (version !== undefined && n === undefined) throw unknownVersion();
  const row = await ctx.storage.e2e.getBackupVersion(requester.userId, n);
  if (row === undefined) throw version === undefined ? notFound('No current backup version') : unknownVersion();
  return info(ctx, requester.userId, row);
}

export async function updateBackupVersion(
  ctx: E2eContext,
  requester: Requester,
  version: string,
  body: { algorithm: string; auth_data: JsonObject; version?: string },
): Promise<void> {
  if (body.version !== undefined && body.version !== version) throw invalidParam('The version in the body does not match the path');
  const n = parseVersion(version);
  const row = n === undefined ? undefined : await ctx.storage.e2e.getBackupVersion(requester.userId, n);
  if (n === undefined || row === undefined) throw unknownVersion();
  if (row.algorithm !== body.algorithm) throw invalidParam('Algorithm does not match');
  if (!(await ctx.storage.e2e.updateBackupVersion(requester.userId, n, body.auth_data))) throw unknownVersion();
}

export async function deleteBackupVersion(ctx: E2eContext, requester: Requester, version: string): Promise<void> {
  const n = parseVersion(version);
  // Deleting an already deleted version succeeds; one that never existed is 404.
  if (n === undefined || !(await ctx.storage.e2e.deleteBackupVersion(requester.userId, n))) throw unknownVersion();
}

/** Writes go only to the newest live version; an older one is M_WRONG_ROOM_KEYS_VERSION. */
async function writableVersion(ctx: E2eContext, userId: string, version: string): Promise<number> {
  const current = await ctx.storage.e2e.getBackupVersion(userId);
  if (current === undefined) throw unknownVersion();
  if (parseVersion(version) !== current.version) {
    throw new MatrixError('M_WRONG_ROOM_KEYS_VERSION', 403, 'Wrong backup version.', { current_version: String(current.version) });
  }
  return current.version;
}

async function readableVersion(ctx: E2eContext, userId: string, version: string): Promise<number> {
  const n = parseVersion(version);
  const row = n === undefined ? undefined : await ctx.storage.e2e.getBackupVersion(userId, n);
  if (row === undefined) throw unknownVersion();
  return row.version;
}

export async function putRoomKeys(
  ctx: E2eContext,
  requester: Requester,
  version: string,
  rooms: RoomsKeyBackup,
): Promise<{ etag: string; count: number }> {
  const n = await writableVersion(ctx, requester.userId, version);
  const rows: RoomKeyRow[] = [];
  for (const [roomId, { sessions }] of Object.entries(rooms)) {
    for (const [sessionId, d] of Object.entries(sessions)) {
      rows.push({
        roomId,
        sessionId,
        firstMessageIndex: d.first_message_index,
        forwardedCount: d.forwarded_count,
        isVerified: d.is_verified,
        sessionData: d.session_data,
      });
    }
  }
  const { etag, count } = await ctx.storage.e2e.putRoomKeys(requester.userId, n, rows, keepExistingRoomKey);
  return { etag: String(etag), count };
}

function toData(r: RoomKeyRow): KeyBackupData {
  return {
    first_message_index: r.firstMessageIndex,
    forwarded_count: r.forwardedCount,
    is_verified: r.isVerified,
    session_data: r.sessionData,
  };
}

export async function getAllRoomKeys(ctx: E2eContext, requester: Requester, version: string): Promise<{ rooms: RoomsKeyBackup }> {
  const n = await readableVersion(ctx, requester.userId, version);
  const rooms: RoomsKeyBackup = {};
  for (const r of await ctx.storage.e2e.getRoomKeys(requester.userId, n)) {
    (rooms[r.roomId] ??= { sessions: {} }).sessions[r.sessionId] = toData(r);
  }
  return { rooms };
}

export async function getRoomKeysOfRoom(
  ctx: E2eContext,
  requester: Requester,
  version: string,
  roomId: RoomId,
): Promise<{ sessions: Record<string, KeyBackupData> }> {
  const n = await readableVersion(ctx, requester.userId, version);
  const sessions: Record<string, KeyBackupData> = {};
  for (const r of await ctx.storage.e2e.getRoomKeys(requester.userId, n, roomId)) sessions[r.sessionId] = toData(r);
  return { sessions };
}

export async function getRoomKey(
  ctx: E2eContext,
  requester: Requester,
  version: string,
  roomId: RoomId,
  sessionId: string,
): Promise<KeyBackupData> {
  const n = await readableVersion(ctx, requester.userId, version);
  const row = (await ctx.storage.e2e.getRoomKeys(requester.userId, n, roomId, sessionId))[0];
  if (row === undefined) throw notFound('Key not found.');
  return toData(row);
}

export async function deleteRoomKeys(
  ctx: E2eContext,
  requester: Requester,
  version: string,
  roomId?: RoomId,
  sessionId?: string,
): Promise<{ etag: string; count: number }> {
  const n = await readableVersion(ctx, requester.userId, version);
  const { etag, count } = await ctx.storage.e2e.deleteRoomKeys(requester.userId, n, roomId, sessionId);
  return { etag: String(etag), count };
}
