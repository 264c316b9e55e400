import { unknownToken, MatrixError } from '../errors/index.js';
import type { AccessTokenRecord, AccountStore } from '../storage/interfaces/index.js';
import type { DeviceId, UserId } from '../types/ids.js';
import type { Requester } from '../types/requester.js';
import { TokenCache } from './token-cache.js';
import { generateToken, hashToken } from './tokens.js';

// Issuing, resolving, refreshing and revoking access tokens.

export interface IssuedTokens {
  accessToken: string;
  accessTokenId: number;
  refreshToken?: string;
  /** Present when the access token expires (refreshable logins). */
  expiresInMs?: number;
}

export interface TokenSettings {
  refreshableLifetimeMs: number | null;
  refreshTokenLifetimeMs: number | null;
}

export interface ResolveOptions {
  /** Accept an expired token (logout does, like Synapse, so a client can always end its session). */
  allowExpired?: boolean;
}

/** Where a request came from, for the devices list (last_seen_ip / user agent). */
export interface SeenFrom {
  ip: string | null;
  userAgent: string | null;
}

const CACHE_SIZE = 10_000;
const CACHE_TTL_MS = 60_000;
/** Synapse writes client IPs in batches every few seconds; once a minute per token is plenty for the devices list. */
const SEEN_INTERVAL_MS = 60_000;

function localpartOf(userId: UserId): string {
  const colon = userId.indexOf(':');
  return colon > 0 ? userId.slice(1, colon) : userId;
}

export class AccessTokens {
  private readonly cache: TokenCache;
  private readonly lastSeen = new Map<number, number>();

  constructor(
    private readonly store: AccountStore,
    private readonly settings: TokenSettings,
    private readonly now: () => number,
    private readonly onBackgroundError: (err: unknown, what: string) => void,
  ) {
    this.cache = new TokenCache(CACHE_SIZE, CACHE_TTL_MS, now);
  }

  async issue(userId: UserId, deviceId: DeviceId | null, refreshable: boolean): Promise<IssuedTokens> {
    const now = this.now();
    const localpart = localpartOf(userId);
    let refreshToken: string | undefined;
    let refreshTokenId: number | null = null;
    if (refreshable && deviceId !== null) {
      refreshToken = generateToken('syr', localpart);
      const life = this.settings.refreshTokenLifetimeMs;
      refreshTokenId = await this.store.insertRefreshToken({
        tokenHash: hashToken(refreshToken),
        userId,
        deviceId,
        expiryTs: life === null ? null : now + life,
        createdTs: now,
      });
    }
    const lifetime = refreshTokenId !== null ? this.settings.refreshableLifetimeMs : null;
    const accessToken = generateToken('syt', localpart);
    const accessTokenId = await this.store.insertAccessToken({
      tokenHash: hashToken(accessToken),
      userId,
      deviceId,
      validUntilTs: lifetime === null ? null : now + lifetime,
      refreshTokenId,
      createdTs: now,
    });
    return {
      accessToken,
      accessTokenId,
      ...(refreshToken !== undefined ? { refreshToken } : {}),
      ...(lifetime !== null ? { expiresInMs: lifetime } : {}),
    };
  }

  /** The token's record, or M_UNKNOWN_TOKEN (soft_logout for an expired token: the client may refresh or log in again). */
  async resolve(token: string, opts: ResolveOptions = {}): Promise<AccessTokenRecord> {
    const hash = hashToken(token);
    let record = this.cache.get(hash);
    if (record === undefined) {
      const found = await this.store.findAccessToken(hash);
      if (found === null) throw unknownToken('Unrecognised access token');
      record = found;
      this.cache.set(hash, record);
    }
    if (record.deactivated) throw unknownToken('Unrecognised access token');
    if (record.locked) throw new MatrixError('M_USER_LOCKED', 401, 'This account has been locked', { soft_logout: true });
    if (record.validUntilTs !== null && record.validUntilTs <= this.now() && !opts.allowExpired) {
      throw unknownToken('Access token has expired', true);
    }
    if (!record.used && record.refreshTokenId !== null) {
      // The first use of a refreshed token proves the client got it, which retires the previous generation.
      record.used = true;
      await this.store.markAccessTokenUsed(record.id);
    }
    return record;
  }

  toRequester(record: AccessTokenRecord): Requester {
    return { userId: record.userId, deviceId: record.deviceId, accessTokenId: record.id, isGuest: record.isGuest, appserviceId: null, suspended: record.suspended };
  }

  /** Notes where the device was last seen, at most once a minute per token; never fails the request. */
  noteSeen(record: AccessTokenRecord, from: SeenFrom): void {
    if (record.deviceId === null) return;
    const now = this.now();
    const last = this.lastSeen.get(record.id);
    if (last !== undefined && now - last < SEEN_INTERVAL_MS) return;
    this.lastSeen.delete(record.id);
    this.lastSeen.set(record.id, now);
    if (this.lastSeen.size > CACHE_SIZE) {
      const oldest = this.lastSeen.keys().next();
      if (!oldest.done) this.lastSeen.delete(oldest.value);
    }
    this.store
      .recordDeviceSeen(record.userId, record.deviceId, now, from.ip, from.userAgent)
      .catch((err: unknown) => this.onBackgroundError(err, 'recording device last seen'));
  }

  /** POST /refresh: a new access + refresh token pair for a valid refresh token. */
  async refresh(refreshToken: string): Promise<IssuedTokens & { userId: UserId; deviceId: DeviceId }> {
    const found = await this.store.findRefreshToken(hashToken(refreshToken));
    if (found === null) throw unknownToken('Refresh token not found', false);
    if (found.nextTokenUsed) throw unknownToken('Refresh token has already been used', false);
    if (found.expiryTs !== null && found.expiryTs <= this.now()) throw unknownToken('Refresh token has expired', false);
    const issued = await this.issue(found.userId, found.deviceId, true);
    const newRefresh = issued.refreshToken === undefined ? null : await this.store.findRefreshToken(hashToken(issued.refreshToken));
    if (newRefresh !== null) await this.store.replaceRefreshToken(found.id, newRefresh.id);
    this.cache.invalidateUser(found.userId, [found.deviceId]);
    return { ...issued, userId: found.userId, deviceId: found.deviceId };
  }

  async revoke(record: { id: number }): Promise<void> {
    await this.store.deleteAccessToken(record.id);
    this.cache.invalidateTokenId(record.id);
  }

  async revokeAllForUser(userId: UserId, exceptTokenId: number | null = null): Promise<void> {
    await this.store.deleteTokensForUser(userId, exceptTokenId);
    this.cache.invalidateUser(userId);
  }

  /** Storage deleted tokens (with devices, deactivation): forget what the cache holds for them. */
  forget(userId: UserId, deviceIds?: readonly DeviceId[]): void {
    this.cache.invalidateUser(userId, deviceIds);
  }
}
