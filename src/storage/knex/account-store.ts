import type { Knex } from 'knex';
import type {
  AccessTokenRecord,
  AccountStore,
  DeviceRecord,
  NewAccessToken,
  NewRefreshToken,
  NewUser,
  ProfileRecord,
  RefreshTokenRecord,
  RegistrationTokenRecord,
  UiaSessionRecord,
  UserRecord,
} from '../interfaces/index.js';
import type { DeviceId, UserId } from '../../types/ids.js';
import { bool, jsonObject, num, optNum, optStr } from './account-rows.js';
import * as tokens from './account-tokens.js';
import * as uia from './account-uia.js';
import type { Dialect } from './dialect.js';

function userFromRow(row: Record<string, unknown>): UserRecord {
  return {
    userId: String(row.user_id),
    passwordHash: optStr(row.password_hash),
    createdTs: num(row.created_ts, 'created_ts'),
    admin: bool(row.admin),
    deactivated: bool(row.deactivated),
    isGuest: bool(row.is_guest),
    userType: optStr(row.user_type),
    appserviceId: optStr(row.appservice_id),
    locked: bool(row.locked),
    suspended: bool(row.suspended),
  };
}

function deviceFromRow(row: Record<string, unknown>): DeviceRecord {
  return {
    userId: String(row.user_id),
    deviceId: String(row.device_id),
    displayName: optStr(row.display_name),
    lastSeenTs: optNum(row.last_seen_ts, 'last_seen_ts'),
    lastSeenIp: optStr(row.last_seen_ip),
    userAgent: optStr(row.user_agent),
  };
}

export class KnexAccountStore implements AccountStore {
  constructor(
    readonly knex: Knex,
    readonly dialect: Dialect,
  ) {}

  // --- users ---

  async createUser(u: NewUser): Promise<boolean> {
    try {
      await this.knex.transaction(async (trx) => {
        await trx('users').insert({
          user_id: u.userId,
          password_hash: u.passwordHash,
          created_ts: u.createdTs,
          admin: u.admin ?? false,
          deactivated: false,
          is_guest: u.isGuest ?? false,
          user_type: u.userType ?? null,
          appservice_id: u.appserviceId ?? null,
          locked: false,
          suspended: false,
        });
        await this.dialect.upsert(trx, 'profiles', { user_id: u.userId, displayname: u.displayname ?? null, avatar_url: null, fields: null }, ['user_id']);
      });
      return true;
    } catch (e) {
      if (this.dialect.isUniqueViolation(e)) return false;
      throw e;
    }
  }

  async getUser(userId: UserId): Promise<UserRecord | null> {
    const row: Record<string, unknown> | undefined = await this.knex('users').where({ user_id: userId }).first();
    return row ? userFromRow(row) : null;
  }

  async findUsersCaseInsensitive(userId: UserId): Promise<UserRecord[]> {
    const rows: Array<Record<string, unknown>> = await this.knex('users').whereRaw('lower(??) = ?', ['user_id', userId.toLowerCase()]);
    return rows.map(userFromRow);
  }

  async setPasswordHash(userId: UserId, hash: string | null): Promise<void> {
    await this.knex('users').where({ user_id: userId }).update({ password_hash: hash });
  }

  async setDeactivated(userId: UserId, deactivated: boolean): Promise<void> {
    await this.knex('users').where({ user_id: userId }).update({ deactivated });
  }

  async setAdmin(userId: UserId, admin: boolean): Promise<void> {
    await this.knex('users').where({ user_id: userId }).update({ admin });
  }

  async countUsers(): Promise<number> {
    const row: Record<string, unknown> | undefined = await this.knex('users').count({ n: '*' }).first();
    return num(row?.n ?? 0, 'count');
  }

  // --- devices ---

  async ensureDevice(userId: UserId, deviceId: DeviceId, displayName: string | null, now: number): Promise<boolean> {
    const inserted: unknown[] = await this.knex('devices')
      .insert({ user_id: userId, device_id: deviceId, display_name: displayName, created_ts: now })
      .onConflict(['user_id', 'device_id'])
      .ignore()
      .returning('device_id');
    return inserted.length > 0;
  }

  async getDevice(userId: UserId, deviceId: DeviceId): Promise<DeviceRecord | null> {
    const row: Record<string, unknown> | undefined = await this.knex('devices').where({ user_id: userId, device_id: deviceId }).first();
    return row ? deviceFromRow(row) : null;
  }

  async listDevices(userId: UserId): Promise<DeviceRecord[]> {
    const rows: Array<Record<string, unknown>> = await this.knex('devices').where({ user_id: userId }).orderBy('device_id');
    return rows.map(deviceFromRow);
  }

  async setDeviceDisplayName(userId: UserId, deviceId: DeviceId, displayName: string | null): Promise<boolean> {
    const n = await this.knex('devices').where({ user_id: userId, device_id: deviceId }).update({ display_name: displayName });
    return n > 0;
  }

  async recordDeviceSeen(userId: UserId, deviceId: DeviceId, ts: number, ip: string | null, userAgent: string | null): Promise<void> {
    await this.knex('devices')
      .where({ user_id: userId, device_id: deviceId })
      .update({ last_seen_ts: ts, last_seen_ip: ip, user_agent: userAgent });
  }

  async deleteDevices(userId: UserId, deviceIds: readonly DeviceId[] | null, exceptDeviceId: DeviceId | null = null): Promise<DeviceId[]> {
    return this.knex.transaction(async (trx) => {
      let q = trx('devices').select('device_id').where({ user_id: userId });
      if (deviceIds !== null) q = q.whereIn('device_id', [...deviceIds]);
      if (exceptDeviceId !== null) q = q.whereNot({ device_id: exceptDeviceId });
      const rows: Array<{ device_id: string }> = await q;
      const ids = rows.map((r) => r.device_id);
      // Tokens of the named devices go even when the device row is already gone (e.g. a half-finished delete).
      const tokenDevices = deviceIds === null ? ids : [...new Set([...ids, ...deviceIds])].filter((d) => d !== exceptDeviceId);
      await tokens.deleteTokensForDevices(trx, userId, tokenDevices);
      for (let i = 0; i < ids.length; i += 500) {
        await trx('devices').where({ user_id: userId }).whereIn('device_id', ids.slice(i, i + 500)).delete();
      }
      return ids;
    });
  }

  // --- tokens ---

  insertAccessToken(t: NewAccessToken): Promise<number> {
    return tokens.insertAccessToken(this.knex, this.dialect, t);
  }
  findAccessToken(tokenHash: string): Promise<AccessTokenRecord | null> {
    return tokens.findAccessToken(this.knex, tokenHash);
  }
  async markAccessTokenUsed(id: number): Promise<void> {
    await this.knex('access_tokens').where({ id }).update({ used: true });
  }
  async deleteAccessToken(id: number): Promise<void> {
    await this.knex('access_tokens').where({ id }).delete();
  }
  deleteTokensForUser(userId: UserId, exceptTokenId: number | null = null): Promise<void> {
    return this.knex.transaction((trx) => tokens.deleteTokensForUser(trx, userId, exceptTokenId));
  }
  insertRefreshToken(t: NewRefreshToken): Promise<number> {
    return tokens.insertRefreshToken(this.knex, this.dialect, t);
  }
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null> {
    return tokens.findRefreshToken(this.knex, tokenHash);
  }
  replaceRefreshToken(oldId: number, newId: number): Promise<void> {
    return this.knex.transaction((trx) => tokens.replaceRefreshToken(trx, oldId, newId));
  }
  insertLoginToken(tokenHash: string, userId: UserId, expiryTs: number, authProviderId: string | null): Promise<void> {
    return tokens.insertLoginToken(this.knex, tokenHash, userId, expiryTs, authProviderId);
  }
  consumeLoginToken(tokenHash: string, now: number): Promise<{ userId: UserId; authProviderId: string | null } | null> {
    return tokens.consumeLoginToken(this.knex, tokenHash, now);
  }

  // --- profiles ---

  async getProfile(userId: UserId): Promise<ProfileRecord | null> {
    const row: Record<string, unknown> | undefined = await this.knex('profiles').where({ user_id: userId }).first();
    if (!row) return null;
    return { displayname: optStr(row.displayname), avatar_url: optStr(row.avatar_url), fields: jsonObject(row.fields) };
  }
  async setDisplayname(userId: UserId, displayname: string | null): Promise<void> {
    await this.dialect.upsert(this.knex, 'profiles', { user_id: userId, displayname }, ['user_id']);
  }
  async setAvatarUrl(userId: UserId, avatarUrl: string | null): Promise<void> {
    await this.dialect.upsert(this.knex, 'profiles', { user_id: userId, avatar_url: avatarUrl }, ['user_id']);
  }
  async setProfileFields(userId: UserId, fields: Record<string, unknown>): Promise<void> {
    const text = Object.keys(fields).length === 0 ? null : JSON.stringify(fields);
    await this.dialect.upsert(this.knex, 'profiles', { user_id: userId, fields: text }, ['user_id']);
  }

  // --- registration tokens ---

  async createRegistrationToken(t: RegistrationTokenRecord): Promise<boolean> {
    try {
      await this.knex('registration_tokens').insert({
        token: t.token,
        uses_allowed: t.usesAllowed,
        pending: t.pending,
        completed: t.completed,
        expiry_time: t.expiryTime,
      });
      return true;
    } catch (e) {
      if (this.dialect.isUniqueViolation(e)) return false;
      throw e;
    }
  }
  getRegistrationToken(token: string): Promise<RegistrationTokenRecord | null> {
    return uia.getRegistrationToken(this.knex, token);
  }
  listRegistrationTokens(): Promise<RegistrationTokenRecord[]> {
    return uia.listRegistrationTokens(this.knex);
  }
  async updateRegistrationToken(
    token: string,
    changes: { usesAllowed?: number | null; expiryTime?: number | null },
  ): Promise<RegistrationTokenRecord | null> {
    const update: Record<string, unknown> = {};
    if (changes.usesAllowed !== undefined) update.uses_allowed = changes.usesAllowed;
    if (changes.expiryTime !== undefined) update.expiry_time = changes.expiryTime;
    if (Object.keys(update).length > 0) await this.knex('registration_tokens').where({ token }).update(update);
    return uia.getRegistrationToken(this.knex, token);
  }
  async deleteRegistrationToken(token: string): Promise<boolean> {
    return (await this.knex('registration_tokens').where({ token }).delete()) > 0;
  }
  reserveRegistrationToken(token: string, now: number): Promise<boolean> {
    return uia.reserveRegistrationToken(this.knex, token, now);
  }
  completeRegistrationToken(token: string): Promise<void> {
    return uia.completeRegistrationToken(this.knex, token);
  }

  // --- UIA sessions ---

  createUiaSession(s: Omit<UiaSessionRecord, 'completed'>): Promise<void> {
    return uia.createUiaSession(this.knex, s);
  }
  getUiaSession(sessionId: string): Promise<UiaSessionRecord | null> {
    return uia.getUiaSession(this.knex, sessionId);
  }
  async setUiaClientParams(sessionId: string, params: Record<string, unknown>): Promise<void> {
    await this.knex('ui_auth_sessions').where({ session_id: sessionId }).update({ client_params: JSON.stringify(params) });
  }
  async setUiaServerData(sessionId: string, data: Record<string, unknown>): Promise<void> {
    await this.knex('ui_auth_sessions').where({ session_id: sessionId }).update({ server_data: JSON.stringify(data) });
  }
  async markUiaStageComplete(sessionId: string, stageType: string, result: unknown): Promise<void> {
    await this.dialect.upsert(this.knex, 'ui_auth_session_stages', { session_id: sessionId, stage_type: stageType, result: JSON.stringify(result ?? true) }, [
      'session_id',
      'stage_type',
    ]);
  }
  async deleteUiaSession(sessionId: string): Promise<void> {
    await this.knex.transaction(async (trx) => {
      await trx('ui_auth_session_stages').where({ session_id: sessionId }).delete();
      await trx('ui_auth_sessions').where({ session_id: sessionId }).delete();
    });
  }
  deleteUiaSessionsBefore(cutoffTs: number): Promise<number> {
    return this.knex.transaction((trx) => uia.deleteUiaSessionsBefore(trx, cutoffTs));
  }
}
