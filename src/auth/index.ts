import type { Config } from '../config/types.js';
import type { Logger } from '../http/logger.js';
import type { AccessTokenRecord, AccountStore, Storage, UserRecord } from '../storage/interfaces/index.js';
import type { DeviceId, UserId } from '../types/ids.js';
import type { Requester } from '../types/requester.js';
import { AccessTokens, type IssuedTokens, type ResolveOptions, type SeenFrom } from './access-tokens.js';
import { findLocalUser, namedUser } from './identifiers.js';
import { hashPassword, verifyPassword, type PasswordSettings } from './passwords.js';
import { RegistrationNonces } from './registration-nonces.js';
import { generateToken, hashToken } from './tokens.js';
import { UserInteractiveAuth, type UiaRequest, type UiaResult } from './uia.js';

// auth/: passwords, access / refresh / login tokens, user-interactive auth, shared-secret registration nonces.
// Accounts, devices and profiles are users/; it calls this service for credentials.

export { MAX_PASSWORD_LENGTH } from './passwords.js';
export { generateDeviceId } from './tokens.js';
export { UiaChallenge, type UiaState } from './uia-challenge.js';
export { STAGE_DUMMY, STAGE_PASSWORD, STAGE_REGISTRATION_TOKEN, type UiaRequest, type UiaResult } from './uia.js';
export type { IssuedTokens, ResolveOptions, SeenFrom } from './access-tokens.js';
export { namedUser } from './identifiers.js';

export interface AuthServiceDeps {
  config: Config;
  logger: Logger;
  storage: Storage;
  now: () => number;
}

/** Synapse's default for login tokens (login_via_existing_session.token_timeout and SSO). */
const LOGIN_TOKEN_TTL_MS = 2 * 60 * 1000;

export interface AuthService {
  hashPassword(password: string): Promise<string>;
  /** The account when `password` is right for it (and it is not deactivated); null otherwise. */
  checkPassword(user: UserRecord, password: string): Promise<boolean>;
  /** Resolves `@alice:hs` / `alice` to a local account. */
  findLocalUser(given: string): Promise<UserRecord | null>;

  issueTokens(userId: UserId, deviceId: DeviceId | null, refreshable: boolean): Promise<IssuedTokens>;
  /** The token's record or M_UNKNOWN_TOKEN / M_USER_LOCKED. */
  resolveAccessToken(token: string, opts?: ResolveOptions): Promise<AccessTokenRecord>;
  requesterFor(record: AccessTokenRecord): Requester;
  noteSeen(record: AccessTokenRecord, from: SeenFrom): void;
  refresh(refreshToken: string): Promise<IssuedTokens & { userId: UserId; deviceId: DeviceId }>;
  revokeAccessToken(tokenId: number): Promise<void>;
  revokeAllTokens(userId: UserId, exceptTokenId?: number | null): Promise<void>;
  /** Drops cached tokens after storage deleted them together with devices. */
  forgetCachedTokens(userId: UserId, deviceIds?: readonly DeviceId[]): void;

  /** A short-lived single-use token for m.login.token. */
  createLoginToken(userId: UserId, authProviderId?: string | null, ttlMs?: number): Promise<{ token: string; expiresInMs: number }>;
  consumeLoginToken(token: string): Promise<{ userId: UserId; authProviderId: string | null } | null>;

  /** User-interactive auth; throws UiaChallenge until a flow is complete. */
  checkUia(req: UiaRequest): Promise<UiaResult>;
  setUiaServerData(sessionId: string, data: Record<string, unknown>): Promise<void>;
  /** Flows for re-authenticating a logged-in user (password, when the account has one). */
  reauthFlows(user: UserRecord | null): Array<{ stages: string[] }>;

  /** GET .../registration_token/validity: exists, unexpired, uses left. */
  registrationTokenValid(token: string): Promise<boolean>;
  /** A registration that used the token finished (its reserved use becomes a completed one). */
  completeRegistrationToken(token: string): Promise<void>;

  /** Admin API over registration tokens (Synapse's /_synapse/admin/v1/registration_tokens). */
  registrationTokens: Pick<
    AccountStore,
    'createRegistrationToken' | 'getRegistrationToken' | 'listRegistrationTokens' | 'updateRegistrationToken' | 'deleteRegistrationToken'
  >;

  createRegistrationNonce(): string;
  consumeRegistrationNonce(nonce: string): boolean;
}

export function createAuthService(deps: AuthServiceDeps): AuthService {
  const { config, storage, now, logger } = deps;
  const store = storage.accounts;
  const pw: PasswordSettings = { rounds: config.bcryptRounds ?? 12, pepper: config.passwordPepper ?? '' };
  const tokens = new AccessTokens(
    store,
    {
      refreshableLifetimeMs: config.refreshableAccessTokenLifetimeMs === undefined ? 5 * 60 * 1000 : config.refreshableAccessTokenLifetimeMs,
      refreshTokenLifetimeMs: config.refreshTokenLifetimeMs ?? null,
    },
    now,
    (err, what) => logger.warn({ err }, `failed ${what}`),
  );
  const nonces = new RegistrationNonces(now);

  const checkPassword = async (user: UserRecord, password: string): Promise<boolean> => {
    if (user.passwordHash === null || user.deactivated) return false;
    return verifyPassword(password, user.passwordHash, pw);
  };
  const lookup = (given: string) => findLocalUser(store, config.serverName, given);

  const uia = new UserInteractiveAuth({
    store,
    now,
    async checkPassword(auth) {
      const given = namedUser(auth);
      if (given === null || typeof auth.password !== 'string') return null;
      const user = await lookup(given);
      if (user === null) return null;
      return (await checkPassword(user, auth.password)) ? user.userId : null;
    },
  });

  return {
    hashPassword: (password) => hashPassword(password, pw),
    checkPassword,
    findLocalUser: lookup,
    issueTokens: (userId, deviceId, refreshable) => tokens.issue(userId, deviceId, refreshable),
    resolveAccessToken: (token, opts) => tokens.resolve(token, opts),
    requesterFor: (record) => tokens.toRequester(record),
    noteSeen: (record, from) => tokens.noteSeen(record, from),
    refresh: (refreshToken) => tokens.refresh(refreshToken),
    revokeAccessToken: (id) => tokens.revoke({ id }),
    revokeAllTokens: (userId, exceptTokenId) => tokens.revokeAllForUser(userId, exceptTokenId ?? null),
    forgetCachedTokens: (userId, deviceIds) => tokens.forget(userId, deviceIds),

    async createLoginToken(userId, authProviderId = null, ttlMs = LOGIN_TOKEN_TTL_MS) {
      const token = generateToken('syl', userId.slice(1, userId.indexOf(':')));
      await store.insertLoginToken(hashToken(token), userId, now() + ttlMs, authProviderId);
      return { token, expiresInMs: ttlMs };
    },
    consumeLoginToken: (token) => store.consumeLoginToken(hashToken(token), now()),

    checkUia: (req) => uia.check(req),
    setUiaServerData: (sessionId, data) => uia.setServerData(sessionId, data),
    reauthFlows: (user) => (user !== null && user.passwordHash !== null ? [{ stages: ['m.login.password'] }] : []),

    async registrationTokenValid(token) {
      const t = await store.getRegistrationToken(token);
      if (t === null) return false;
      if (t.expiryTime !== null && t.expiryTime <= now()) return false;
      return t.usesAllowed === null || t.pending + t.completed < t.usesAllowed;
    },
    completeRegistrationToken: (token) => store.completeRegistrationToken(token),

    registrationTokens: {
      createRegistrationToken: (t) => store.createRegistrationToken(t),
      getRegistrationToken: (t) => store.getRegistrationToken(t),
      listRegistrationTokens: () => store.listRegistrationTokens(),
      updateRegistrationToken: (t, c) => store.updateRegistrationToken(t, c),
      deleteRegistrationToken: (t) => store.deleteRegistrationToken(t),
    },

    createRegistrationNonce: () => nonces.create(),
    consumeRegistrationNonce: (nonce) => nonces.consume(nonce),
  };
}
