import type { AuthService } from '../auth/index.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../http/logger.js';
import type { Storage, UserRecord } from '../storage/interfaces/index.js';
import type { NoticeSink } from '../types/notices.js';
import type { DeviceId, UserId } from '../types/ids.js';
import type { Requester } from '../types/requester.js';
import { Accounts, type NewAccount, type SessionOptions, type SessionResponse } from './accounts.js';
import { Devices, type ClientDevice, type DeviceListener } from './devices.js';
import { Profiles, type FullProfile, type RemoteProfilePort } from './profiles.js';

// users/: accounts, devices and profiles. Credentials and tokens are auth/ (passed in as `auth`).

export type { NewAccount, SessionOptions, SessionResponse } from './accounts.js';
export type { ClientDevice, DeviceChange, DeviceListener } from './devices.js';
export type { FullProfile, RemoteProfilePort } from './profiles.js';
export { MAX_DEVICE_DISPLAY_NAME_LENGTH } from './devices.js';
export { checkLocalpart } from './usernames.js';

/** What users/ needs from rooms/ (wired in main.ts, so neither imports the other). */
export interface RoomMembershipPort {
  /** Re-sends the user's member event in every joined room with the new profile. */
  propagateProfile(userId: UserId): Promise<void>;
  /** Leaves (and rejects invites to) every room, for deactivation. */
  leaveAllRooms(userId: UserId): Promise<void>;
}

export interface UserServiceDeps {
  config: Config;
  logger: Logger;
  storage: Storage;
  notices: NoticeSink;
  rooms: RoomMembershipPort;
  auth: AuthService;
  now: () => number;
  /** Profiles of other servers' users over federation; without it they are 404. */
  remoteProfiles?: RemoteProfilePort;
}

export interface UserService {
  // accounts
  checkUsernameAvailable(localpart: string): Promise<void>;
  createAccount(account: NewAccount): Promise<UserId>;
  startSession(userId: UserId, opts?: SessionOptions): Promise<SessionResponse>;
  logout(requester: Requester): Promise<void>;
  logoutAll(userId: UserId): Promise<void>;
  changePassword(requester: Requester, newPassword: string, logoutDevices: boolean): Promise<void>;
  deactivate(userId: UserId, erase: boolean): Promise<void>;
  getUser(userId: UserId): Promise<UserRecord | null>;
  isAdmin(userId: UserId): Promise<boolean>;
  // devices
  listDevices(userId: UserId): Promise<ClientDevice[]>;
  getDevice(userId: UserId, deviceId: DeviceId): Promise<ClientDevice>;
  renameDevice(userId: UserId, deviceId: DeviceId, displayName: string | null): Promise<void>;
  /** Creates a device without a session (application services, MSC4190); true when it did not exist. */
  createDevice(userId: UserId, deviceId: DeviceId, displayName: string | null): Promise<boolean>;
  deleteDevices(userId: UserId, deviceIds: readonly DeviceId[]): Promise<DeviceId[]>;
  /** Subscribe to device creation / deletion / renames (E2EE key cleanup, device-list updates). */
  onDeviceChange(listener: DeviceListener): () => void;
  // profiles
  /** For rooms/ (member events): nulls when unset or unknown. */
  getProfile(userId: UserId): Promise<{ displayname: string | null; avatar_url: string | null }>;
  getFullProfile(userId: UserId): Promise<FullProfile>;
  getProfileField(userId: UserId, key: string): Promise<Record<string, unknown>>;
  setProfileField(requester: Requester, userId: UserId, key: string, value: unknown): Promise<void>;
  deleteProfileField(requester: Requester, userId: UserId, key: string): Promise<void>;
}

export function createUserService(deps: UserServiceDeps): UserService {
  const { storage, auth, logger, now, config, rooms } = deps;
  const store = storage.accounts;
  const devices = new Devices(store, auth, logger, now);
  const profiles = new Profiles(store, config.serverName, {
    async changed(userId) {
      // The profile is stored; member events catching up is best effort, as in Synapse (it logs and goes on).
      try {
        await rooms.propagateProfile(userId);
      } catch (err) {
        logger.error({ err, userId }, 'propagating a profile change into rooms failed');
      }
    },
  }, deps.remoteProfiles);
  const accounts = new Accounts(store, auth, devices, profiles, rooms, config.serverName, logger, now);

  return {
    checkUsernameAvailable: (localpart) => accounts.checkAvailable(localpart),
    createAccount: (a) => accounts.create(a),
    startSession: (userId, opts) => accounts.startSession(userId, opts),
    logout: (r) => accounts.logout(r),
    logoutAll: (userId) => accounts.logoutAll(userId),
    changePassword: (r, pw, logoutDevices) => accounts.changePassword(r, pw, logoutDevices),
    deactivate: (userId, erase) => accounts.deactivate(userId, erase),
    getUser: (userId) => accounts.get(userId),
    isAdmin: (userId) => accounts.isAdmin(userId),
    listDevices: (userId) => devices.list(userId),
    getDevice: (userId, deviceId) => devices.get(userId, deviceId),
    renameDevice: (userId, deviceId, name) => devices.rename(userId, deviceId, name),
    createDevice: (userId, deviceId, name) => devices.ensure(userId, deviceId, name),
    deleteDevices: (userId, deviceIds) => devices.delete(userId, deviceIds),
    onDeviceChange: (l) => devices.onChange(l),
    getProfile: (userId) => profiles.basic(userId),
    getFullProfile: (userId) => profiles.full(userId),
    getProfileField: (userId, key) => profiles.field(userId, key),
    setProfileField: (r, userId, key, value) => profiles.set(r, userId, key, value),
    deleteProfileField: (r, userId, key) => profiles.delete(r, userId, key),
  };
}
