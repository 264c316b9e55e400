import type { AuthService, IssuedTokens } from '../auth/index.js';
import { generateDeviceId } from '../auth/index.js';
import { MatrixError, forbidden } from '../errors/index.js';
import type { Logger } from '../http/logger.js';
import type { AccountStore, UserRecord } from '../storage/interfaces/index.js';
import type { DeviceId, UserId } from '../types/ids.js';
import type { Requester } from '../types/requester.js';
import type { Devices } from './devices.js';
import type { Profiles } from './profiles.js';
import { checkLocalpart, userInUse } from './usernames.js';

// Account lifecycle: registration, login sessions, logout, password changes, deactivation.

export interface NewAccount {
  /** Null: generate a numeric localpart (Synapse's behaviour for guests and username-less registrations). */
  localpart: string | null;
  /** Already hashed (auth.hashPassword), or null for no password. */
  passwordHash: string | null;
  isGuest?: boolean;
  admin?: boolean;
  userType?: string | null;
  appserviceId?: string | null;
  /** Defaults to the localpart, like Synapse; null leaves it unset. */
  displayname?: string | null;
  /** Skip the localpart rules for ids an appservice or admin assigns (e.g. leading underscore). */
  trustedLocalpart?: boolean;
}

export interface SessionOptions {
  deviceId?: string | null;
  initialDisplayName?: string | null;
  refreshable?: boolean;
}

/** The body of a successful login / registration (spec: login.yaml, registration.yaml). */
export interface SessionResponse {
  user_id: UserId;
  access_token: string;
  device_id: DeviceId;
  refresh_token?: string;
  expires_in_ms?: number;
}

export interface RoomLeaver {
  leaveAllRooms(userId: UserId): Promise<void>;
}

export class Accounts {
  constructor(
    private readonly store: AccountStore,
    private readonly auth: AuthService,
    private readonly devices: Devices,
    private readonly profiles: Profiles,
    private readonly rooms: RoomLeaver,
    private readonly serverName: string,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  userIdFor(localpart: string): UserId {
    return `@${localpart}:${this.serverName}`;
  }

  /** M_INVALID_USERNAME / M_USER_IN_USE unless the localpart can be registered. */
  async checkAvailable(localpart: string): Promise<void> {
    checkLocalpart(localpart, this.serverName);
    const taken = await this.store.findUsersCaseInsensitive(this.userIdFor(localpart));
    if (taken.length > 0) throw userInUse();
  }

  async create(a: NewAccount): Promise<UserId> {
    if (a.localpart === null) return this.createNumeric(a);
    const localpart = a.localpart;
    checkLocalpart(localpart, this.serverName, { allowUnderscore: a.trustedLocalpart === true, allowNumeric: a.trustedLocalpart === true });
    const userId = this.userIdFor(localpart);
    if ((await this.store.findUsersCaseInsensitive(userId)).length > 0) throw userInUse();
    if (!(await this.insert(userId, a, localpart))) throw userInUse();
    return userId;
  }

  private async createNumeric(a: NewAccount): Promise<UserId> {
    let n = (await this.store.countUsers()) + 1;
    for (let attempt = 0; attempt < 1000; attempt++, n++) {
      const localpart = String(n);
      const userId = this.userIdFor(localpart);
      if ((await this.store.getUser(userId)) !== null) continue;
      if (await this.insert(userId, a, localpart)) return userId;
    }
    throw new MatrixError('M_UNKNOWN', 500, 'Could not allocate a user ID');
  }

  private insert(userId: UserId, a: NewAccount, localpart: string): Promise<boolean> {
    return this.store.createUser({
      userId,
      passwordHash: a.passwordHash,
      createdTs: this.now(),
      admin: a.admin ?? false,
      isGuest: a.isGuest ?? false,
      userType: a.userType ?? null,
      appserviceId: a.appserviceId ?? null,
      displayname: a.displayname === undefined ? (a.isGuest ? null : localpart) : a.displayname,
    });
  }

  /** Creates (or reuses) the device and issues its tokens. */
  async startSession(userId: UserId, opts: SessionOptions = {}): Promise<SessionResponse> {
    const deviceId = opts.deviceId ?? generateDeviceId();
    await this.devices.ensure(userId, deviceId, opts.initialDisplayName ?? null);
    const issued: IssuedTokens = await this.auth.issueTokens(userId, deviceId, opts.refreshable === true);
    return {
      user_id: userId,
      access_token: issued.accessToken,
      device_id: deviceId,
      ...(issued.refreshToken !== undefined ? { refresh_token: issued.refreshToken } : {}),
      ...(issued.expiresInMs !== undefined ? { expires_in_ms: issued.expiresInMs } : {}),
    };
  }

  /** POST /logout: the device goes with its tokens (Synapse); a device-less token is simply revoked. */
  async logout(requester: Requester): Promise<void> {
    if (requester.deviceId !== null) await this.devices.delete(requester.userId, [requester.deviceId]);
    if (requester.accessTokenId !== null) await this.auth.revokeAccessToken(requester.accessTokenId);
  }

  async logoutAll(userId: UserId): Promise<void> {
    await this.devices.delete(userId, null);
    await this.auth.revokeAllTokens(userId);
  }

  async changePassword(requester: Requester, newPassword: string, logoutDevices: boolean): Promise<void> {
    const hash = await this.auth.hashPassword(newPassword);
    await this.store.setPasswordHash(requester.userId, hash);
    if (logoutDevices) {
      await this.devices.delete(requester.userId, null, requester.deviceId);
      await this.auth.revokeAllTokens(requester.userId, requester.accessTokenId);
    }
  }

  /**
   * Deactivation, in Synapse's order: the account stops accepting logins, every device and token goes, the
   * password is cleared, then the user leaves every room (which may take a while and must not undo the rest).
   */
  async deactivate(userId: UserId, erase: boolean): Promise<void> {
    const user = await this.store.getUser(userId);
    if (user === null) throw new MatrixError('M_NOT_FOUND', 404, 'User not found');
    await this.store.setDeactivated(userId, true);
    await this.store.setPasswordHash(userId, null);
    await this.devices.delete(userId, null);
    await this.auth.revokeAllTokens(userId);
    if (erase) await this.profiles.erase(userId);
    try {
      await this.rooms.leaveAllRooms(userId);
    } catch (err) {
      this.logger.error({ err, userId }, 'leaving rooms after deactivation failed');
    }
  }

  async get(userId: UserId): Promise<UserRecord | null> {
    return this.store.getUser(userId);
  }

  async isAdmin(userId: UserId): Promise<boolean> {
    const u = await this.store.getUser(userId);
    return u !== null && u.admin && !u.deactivated;
  }

  /** Refuses operations on a deactivated account (its tokens are gone, but admin paths may still name it). */
  static assertActive(user: UserRecord | null): asserts user is UserRecord {
    if (user === null) throw new MatrixError('M_NOT_FOUND', 404, 'User not found');
    if (user.deactivated) throw forbidden('This account has been deactivated');
  }
}
