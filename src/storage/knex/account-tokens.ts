import type {
  AccessTokenRecord,
  NewAccessToken,
  NewRefreshToken,
  RefreshTokenRecord,
} from '../interfaces/index.js';
import type { DeviceId, UserId } from '../../types/ids.js';
import { bool, num, optNum, optStr, type Db } from './account-rows.js';
import type { Dialect } from './dialect.js';

// Access, refresh and login tokens (by SHA-256 digest only).

export async function insertAccessToken(db: Db, dialect: Dialect, t: NewAccessToken): Promise<number> {
  return dialect.insertReturningId(
    db,
    'access_tokens',
    {
      token_hash: t.tokenHash,
      user_id: t.userId,
      device_id: t.deviceId,
      valid_until_ts: t.validUntilTs,
      refresh_token_id: t.refreshTokenId,
      used: false,
      created_ts: t.createdTs,
    },
    'id',
  );
}

export async function findAccessToken(db: Db, tokenHash: string): Promise<AccessTokenRecord | null> {
  const row: Record<string, unknown> | undefined = await db('access_tokens as t')
    .join('users as u', 'u.user_id', 't.user_id')
    .select('t.id', 't.user_id', 't.device_id', 't.valid_until_ts', 't.refresh_token_id', 't.used', 'u.is_guest', 'u.deactivated', 'u.locked', 'u.suspended')
    .where('t.token_hash', tokenHash)
    .first();
  if (!row) return null;
  return {
    id: num(row.id, 'access_tokens.id'),
    userId: String(row.user_id),
    deviceId: optStr(row.device_id),
    validUntilTs: optNum(row.valid_until_ts, 'valid_until_ts'),
    refreshTokenId: optNum(row.refresh_token_id, 'refresh_token_id'),
    used: bool(row.used),
    isGuest: bool(row.is_guest),
    deactivated: bool(row.deactivated),
    locked: bool(row.locked),
    suspended: bool(row.suspended),
  };
}

export async function deleteTokensForUser(db: Db, userId: UserId, exceptTokenId: number | null): Promise<void> {
  const q = db('access_tokens').where({ user_id: userId });
  if (exceptTokenId !== null) {
    const keep: { refresh_token_id: unknown } | undefined = await db('access_tokens')
      .select('refresh_token_id')
      .where({ id: exceptTokenId })
      .first();
    await q.whereNot({ id: exceptTokenId }).delete();
    const keepRefresh = optNum(keep?.refresh_token_id, 'refresh_token_id');
    const rq = db('refresh_tokens').where({ user_id: userId });
    if (keepRefresh !== null) rq.whereNot({ id: keepRefresh });
    await rq.delete();
    return;
  }
  await q.delete();
  await db('refresh_tokens').where({ user_id: userId }).delete();
}

export async function deleteTokensForDevices(db: Db, userId: UserId, deviceIds: readonly DeviceId[]): Promise<void> {
  for (let i = 0; i < deviceIds.length; i += 500) {
    const chunk = deviceIds.slice(i, i + 500);
    await db('access_tokens').where({ user_id: userId }).whereIn('device_id', chunk).delete();
    await db('refresh_tokens').where({ user_id: userId }).whereIn('device_id', chunk).delete();
  }
}

export async function insertRefreshToken(db: Db, dialect: Dialect, t: NewRefreshToken): Promise<number> {
  return dialect.insertReturningId(
    db,
    'refresh_tokens',
    {
      token_hash: t.tokenHash,
      user_id: t.userId,
      device_id: t.deviceId,
      next_token_id: null,
      expiry_ts: t.expiryTs,
      created_ts: t.createdTs,
    },
    'id',
  );
}

export async function findRefreshToken(db: Db, tokenHash: string): Promise<RefreshTokenRecord | null> {
  const row: Record<string, unknown> | undefined = await db('refresh_tokens as r')
    .leftJoin('refresh_tokens as n', 'n.id', 'r.next_token_id')
    .select('r.id', 'r.user_id', 'r.device_id', 'r.next_token_id', 'r.expiry_ts', 'n.next_token_id as next_next')
    .where('r.token_hash', tokenHash)
    .first();
  if (!row) return null;
  const nextTokenId = optNum(row.next_token_id, 'next_token_id');
  let nextTokenUsed = false;
  if (nextTokenId !== null) {
    // The successor counts as used once it was itself refreshed or one of its access tokens was presented.
    const used: Record<string, unknown> | undefined = await db('access_tokens')
      .select('id')
      .where({ refresh_token_id: nextTokenId, used: true })
      .first();
    nextTokenUsed = row.next_next !== null || used !== undefined;
  }
  return {
    id: num(row.id, 'refresh_tokens.id'),
    userId: String(row.user_id),
    deviceId: String(row.device_id),
    nextTokenId,
    expiryTs: optNum(row.expiry_ts, 'expiry_ts'),
    nextTokenUsed,
  };
}

export async function replaceRefreshToken(db: Db, oldId: number, newId: number): Promise<void> {
  await db('refresh_tokens').where({ id: oldId }).update({ next_token_id: newId });
  await db('access_tokens').where({ refresh_token_id: oldId }).delete();
  // The generation before `oldId` is spent now that its successor was used.
  const older: Array<{ id: unknown }> = await db('refresh_tokens').select('id').where({ next_token_id: oldId });
  const olderIds = older.map((r) => num(r.id, 'refresh_tokens.id'));
  if (olderIds.length > 0) {
    await db('access_tokens').whereIn('refresh_token_id', olderIds).delete();
    await db('refresh_tokens').whereIn('id', olderIds).delete();
  }
}

export async function insertLoginToken(
  db: Db,
  tokenHash: string,
  userId: UserId,
  expiryTs: number,
  authProviderId: string | null,
): Promise<void> {
  await db('login_tokens').insert({ token_hash: tokenHash, user_id: userId, expiry_ts: expiryTs, used: false, auth_provider_id: authProviderId });
}

export async function consumeLoginToken(
  db: Db,
  tokenHash: string,
  now: number,
): Promise<{ userId: UserId; authProviderId: string | null } | null> {
  // The conditional update is the single-use guarantee: of two concurrent logins only one changes the row.
  const changed = await db('login_tokens')
    .where({ token_hash: tokenHash, used: false })
    .andWhere('expiry_ts', '>', now)
    .update({ used: true });
  if (changed !== 1) return null;
  const row: Record<string, unknown> | undefined = await db('login_tokens').where({ token_hash: tokenHash }).first();
  // Expired tokens are useless; drop them while we are here.
  await db('login_tokens').where('expiry_ts', '<=', now).delete();
  return row ? { userId: String(row.user_id), authProviderId: optStr(row.auth_provider_id) } : null;
}
