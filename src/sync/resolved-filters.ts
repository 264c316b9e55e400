import { invalidParam, MatrixError } from '../errors/index.js';
import type { UserDataStore } from '../storage/interfaces/index.js';
import type { UserId } from '../types/ids.js';
import type { SyncFilterJson } from './filter.js';

// The `filter` parameter of /sync resolved to a validated filter. Every long-poll of a client repeats the same
// parameter (an inline JSON string or a filter id), so each one was parsed, validated and (for ids) read from
// the database again per request. Both are immutable — an inline string is its own key and stored filters
// are never changed after upload — so the resolved filter is kept, bounded, least recently used first out.

const MAX_FILTERS = 5_000;

export class ResolvedFilters {
  private readonly entries = new Map<string, SyncFilterJson>();

  constructor(
    private readonly userData: UserDataStore,
    private readonly validate: (value: unknown) => SyncFilterJson,
  ) {}

  async resolve(userId: UserId, raw: string | undefined): Promise<SyncFilterJson> {
    if (raw === undefined || raw === '') return {};
    const inline = raw.trimStart().startsWith('{');
    // Stored filter ids are per user; inline filters mean the same for everybody.
    const key = inline ? raw : `${userId}\u0000${raw}`;
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const filter = inline ? this.parseInline(raw) : await this.loadStored(userId, raw);
    this.entries.set(key, filter);
    if (this.entries.size > MAX_FILTERS) this.entries.delete(this.entries.keys().next().value as string);
    return filter;
  }

  private parseInline(raw: string): SyncFilterJson {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new MatrixError('M_NOT_JSON', 400, 'Invalid filter JSON');
    }
    return this.validate(parsed);
  }

  private async loadStored(userId: UserId, raw: string): Promise<SyncFilterJson> {
    const id = /^\d{1,15}$/.test(raw) ? Number(raw) : null;
    const stored = id === null ? undefined : await this.userData.getFilter(userId, id);
    if (!stored) throw invalidParam('No such filter');
    return this.validate(stored);
  }
}
