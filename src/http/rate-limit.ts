import type { RateLimitConfig } from '../config/types.js';
import { limitExceeded } from '../errors/index.js';

// Token buckets keyed by (action, requester), e.g. ('message', '@alice:example.org') or
// ('login.address', '203.0.113.7'). Each action's rate comes from config.rateLimits (Synapse's rc_*).
// Refill is computed lazily from the elapsed time, so an idle bucket costs nothing until it is evicted.

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export interface RateLimiterOptions {
  now?: () => number;
  /** Upper bound on buckets held; the least recently used go first when it is reached. */
  maxBuckets?: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly maxBuckets: number;
  private opsSinceSweep = 0;

  constructor(
    private readonly limits: Readonly<Record<string, RateLimitConfig>>,
    opts: RateLimiterOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.maxBuckets = Math.max(1, opts.maxBuckets ?? 100_000);
  }

  /**
   * Takes `cost` tokens for (action, requester) or throws M_LIMIT_EXCEEDED with the wait until enough
   * tokens are back. An action without configured limits, or with a non-positive rate, is not limited
   * (a zero rate would never refill, so no honest retry_after_ms exists for it).
   */
  check(action: string, requester: string, cost = 1): void {
    const retryAfterMs = this.take(action, requester, cost);
    if (retryAfterMs > 0) throw limitExceeded(retryAfterMs);
  }

  /**
   * Throws M_LIMIT_EXCEEDED if taking `cost` tokens now would be refused, without taking them. For actions
   * that only count when they succeed (Synapse's `update=False`): a registration counts once the account
   * exists, not on every user-interactive round trip before it.
   */
  assertAllowed(action: string, requester: string, cost = 1): void {
    const limit = this.limits[action];
    if (!limit || !(limit.perSecond > 0)) return;
    const capacity = Math.max(1, limit.burstCount);
    const bucket = this.refilled(this.buckets.get(`${action}\u0000${requester}`), capacity, limit.perSecond, this.now());
    if (bucket.tokens < cost) throw limitExceeded(Math.max(1, Math.ceil(((cost - bucket.tokens) / limit.perSecond) * 1000)));
  }

  /** Like check() but returns the wait in ms instead of throwing; 0 means the tokens were taken. */
  take(action: string, requester: string, cost = 1): number {
    const limit = this.limits[action];
    if (!limit || !(limit.perSecond > 0)) return 0;
    const capacity = Math.max(1, limit.burstCount);
    const now = this.now();
    const key = `${action}\u0000${requester}`;
    const existing = this.buckets.get(key);
    // A sweep may drop this key's bucket too; that is harmless because it is re-inserted just below.
    this.maybeSweep(now, existing === undefined);
    const bucket = this.refilled(existing, capacity, limit.perSecond, now);
    // Re-inserting keeps the Map in least-recently-used order for eviction.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return 0;
    }
    return Math.max(1, Math.ceil(((cost - bucket.tokens) / limit.perSecond) * 1000));
  }

  /** Number of buckets currently held (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private refilled(bucket: Bucket | undefined, capacity: number, perSecond: number, now: number): Bucket {
    if (!bucket) return { tokens: capacity, updatedMs: now };
    const elapsedMs = Math.max(0, now - bucket.updatedMs);
    return { tokens: Math.min(capacity, bucket.tokens + (elapsedMs / 1000) * perSecond), updatedMs: now };
  }

  /**
   * A bucket that has refilled completely is indistinguishable from a new one, so dropping it loses
   * nothing. Sweeps run every so often and whenever the cap is hit; if live buckets still exceed the
   * cap, the least recently used are dropped (they are the ones closest to full).
   */
  private maybeSweep(now: number, needRoom: boolean): void {
    this.opsSinceSweep++;
    const full = needRoom ? this.buckets.size >= this.maxBuckets : this.buckets.size > this.maxBuckets;
    if (this.opsSinceSweep < 1000 && !full) return;
    this.opsSinceSweep = 0;
    for (const [key, bucket] of this.buckets) {
      const action = key.slice(0, key.indexOf('\u0000'));
      const limit = this.limits[action];
      if (!limit || !(limit.perSecond > 0)) {
        this.buckets.delete(key);
        continue;
      }
      const capacity = Math.max(1, limit.burstCount);
      if (bucket.tokens + ((now - bucket.updatedMs) / 1000) * limit.perSecond >= capacity) this.buckets.delete(key);
    }
    for (const key of this.buckets.keys()) {
      // Leave room for a bucket the caller is about to insert.
      if (this.buckets.size < this.maxBuckets || (!needRoom && this.buckets.size === this.maxBuckets)) break;
      this.buckets.delete(key);
    }
  }
}
