import { MatrixError, badJson, forbidden, notFound } from '../errors/index.js';
import { byteLength } from '../protocol/index.js';
import type { AccountStore } from '../storage/interfaces/index.js';
import type { Requester } from '../types/requester.js';
import type { UserId } from '../types/ids.js';

// Profiles: displayname, avatar_url and (v1.16) custom fields.

/** Synapse's limits on the two classic fields. */
export const MAX_DISPLAYNAME_LENGTH = 256;
export const MAX_AVATAR_URL_LENGTH = 1000;
/** The spec's limits for custom fields. */
export const MAX_PROFILE_BYTES = 64 * 1024;
export const MAX_PROFILE_KEY_BYTES = 255;

const KEY_PATTERN = /^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;

export type FullProfile = Record<string, unknown> & { displayname?: string; avatar_url?: string };

export interface ProfileChangePort {
  /** Called after the user's displayname or avatar changed (rooms re-send their member events). */
  changed(userId: UserId): Promise<void>;
}

/** Profiles of other servers' users (federation query/profile); throws MatrixError (404 when unknown). */
export interface RemoteProfilePort {
  query(userId: UserId, field?: string): Promise<Record<string, unknown>>;
}

export class Profiles {
  constructor(
    private readonly store: AccountStore,
    private readonly serverName: string,
    private readonly port: ProfileChangePort,
    private readonly remote?: RemoteProfilePort,
  ) {}

  private isRemote(userId: UserId): boolean {
    return this.remote !== undefined && !userId.endsWith(`:${this.serverName}`);
  }

  /** For rooms (member event content): nulls when the user has no profile. */
  async basic(userId: UserId): Promise<{ displayname: string | null; avatar_url: string | null }> {
    const p = await this.store.getProfile(userId);
    return { displayname: p?.displayname ?? null, avatar_url: p?.avatar_url ?? null };
  }

  /** The whole profile, or 404 M_NOT_FOUND when the user is not ours or does not exist. */
  async full(userId: UserId): Promise<FullProfile> {
    if (this.isRemote(userId) && this.remote) return (await this.remote.query(userId)) as FullProfile;
    const p = await this.existing(userId);
    return {
      ...p.fields,
      ...(p.displayname !== null ? { displayname: p.displayname } : {}),
      ...(p.avatar_url !== null ? { avatar_url: p.avatar_url } : {}),
    };
  }

  /** One field as `{key: value}`; unset displayname / avatar_url give `{}` like Synapse, other unset keys 404. */
  async field(userId: UserId, key: string): Promise<Record<string, unknown>> {
    if (this.isRemote(userId) && this.remote) {
      const answer = await this.remote.query(userId, key);
      // Only the asked field is passed on, whatever else the remote server answered.
      if (!Object.hasOwn(answer, key)) {
        if (key === 'displayname' || key === 'avatar_url') return {};
        throw notFound('Profile field not found');
      }
      return { [key]: answer[key] };
    }
    const p = await this.existing(userId);
    if (key === 'displayname') return p.displayname !== null ? { displayname: p.displayname } : {};
    if (key === 'avatar_url') return p.avatar_url !== null ? { avatar_url: p.avatar_url } : {};
    if (!Object.hasOwn(p.fields, key)) throw notFound('Profile field not found');
    return { [key]: p.fields[key] };
  }

  async set(requester: Requester, userId: UserId, key: string, value: unknown): Promise<void> {
    checkKey(key);
    await this.checkOwner(requester, userId);
    if (key === 'displayname') {
      if (value !== null && typeof value !== 'string') throw badJson('displayname must be a string');
      if (typeof value === 'string' && value.length > MAX_DISPLAYNAME_LENGTH) {
        throw badJson(`Displayname is too long (max ${MAX_DISPLAYNAME_LENGTH})`);
      }
      await this.store.setDisplayname(userId, value === '' ? null : value);
      await this.port.changed(userId);
      return;
    }
    if (key === 'avatar_url') {
      if (value !== null && typeof value !== 'string') throw badJson('avatar_url must be a string');
      if (typeof value === 'string' && value.length > MAX_AVATAR_URL_LENGTH) {
        throw badJson(`Avatar URL is too long (max ${MAX_AVATAR_URL_LENGTH})`);
      }
      await this.store.setAvatarUrl(userId, value === '' ? null : value);
      await this.port.changed(userId);
      return;
    }
    if (key === 'm.tz' && typeof value !== 'string') throw badJson('m.tz must be a string');
    const p = await this.existing(userId);
    const fields = { ...p.fields, [key]: value };
    const size = byteLength(JSON.stringify({ ...fields, displayname: p.displayname, avatar_url: p.avatar_url }));
    if (size > MAX_PROFILE_BYTES) {
      throw new MatrixError('M_PROFILE_TOO_LARGE', 400, `The profile would exceed ${MAX_PROFILE_BYTES} bytes`);
    }
    await this.store.setProfileFields(userId, fields);
  }

  async delete(requester: Requester, userId: UserId, key: string): Promise<void> {
    checkKey(key);
    await this.checkOwner(requester, userId);
    if (key === 'displayname' || key === 'avatar_url') {
      await this.set(requester, userId, key, null);
      return;
    }
    const p = await this.existing(userId);
    if (!Object.hasOwn(p.fields, key)) return;
    const { [key]: _removed, ...rest } = p.fields;
    await this.store.setProfileFields(userId, rest);
  }

  /** Deactivation with erase: nothing of the profile remains. */
  async erase(userId: UserId): Promise<void> {
    await this.store.setDisplayname(userId, null);
    await this.store.setAvatarUrl(userId, null);
    await this.store.setProfileFields(userId, {});
  }

  private async existing(userId: UserId) {
    if (!userId.endsWith(`:${this.serverName}`)) throw notFound('Profile was not found');
    const user = await this.store.getUser(userId);
    const p = user === null ? null : await this.store.getProfile(userId);
    if (p === null) throw notFound('Profile was not found');
    return p;
  }

  private async checkOwner(requester: Requester, userId: UserId): Promise<void> {
    if (requester.userId !== userId) {
      const me = await this.store.getUser(requester.userId);
      // Synapse lets server admins edit anyone's profile on this server.
      if (!me?.admin || !userId.endsWith(`:${this.serverName}`)) throw forbidden("Cannot set another user's profile");
    }
    const user = await this.store.getUser(userId);
    if (user === null) throw notFound('Profile was not found');
    if (user.deactivated) throw forbidden('The user has been deactivated');
  }
}

function checkKey(key: string): void {
  if (byteLength(key) > MAX_PROFILE_KEY_BYTES) throw new MatrixError('M_KEY_TOO_LARGE', 400, `Profile key is too long (max ${MAX_PROFILE_KEY_BYTES} bytes)`);
  if (!KEY_PATTERN.test(key)) throw new MatrixError('M_INVALID_PARAM', 400, 'Invalid profile key.');
}
