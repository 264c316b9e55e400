import type { AccessTokenRecord } from '../storage/interfaces/index.js';

// A small LRU of recent access-token lookups: every authenticated request needs one, and clients repeat the
// same token many times a second (sync, typing, read receipts). Entries live briefly and are dropped on logout,
// so a revoked token stops working at once in this process. Other worker processes see a revocation once
// their entry ages out (ttlMs); cross-process invalidation goes over the worker bus when workers land.

interface Entry {
  record: AccessTokenRecord;
  expiresAt: number;
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get(tokenHash: string): AccessTokenRecord | undefined {
    const e = this.entries.get(tokenHash);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    // Move to the back: most recently used.
    this.entries.delete(tokenHash);
    this.entries.set(tokenHash, e);
    return e.record;
  }

  set(tokenHash: string, record: AccessTokenRecord): void {
    this.entries.delete(tokenHash);
    this.entries.set(tokenHash, { record, expiresAt: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  /** Drops every cached token of the user, or only those of the given devices. */
  invalidateUser(userId: string, deviceIds?: readonly string[]): void {
    const devices = deviceIds ? new Set(deviceIds) : null;
    for (const [hash, e] of this.entries) {
      if (e.record.userId !== userId) continue;
      if (devices === null || (e.record.deviceId !== null && devices.has(e.record.deviceId))) this.entries.delete(hash);
    }
  }

  invalidateTokenId(id: number): void {
    for (const [hash, e] of this.entries) if (e.record.id === id) this.entries.delete(hash);
  }

  clear(): void {
    this.entries.clear();
  }
}
