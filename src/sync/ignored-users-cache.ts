import type { UserDataStore } from '../storage/interfaces/index.js';
import type { UserId } from '../types/ids.js';
import type { NoticeSource } from '../types/notices.js';

// m.ignored_user_list per user, kept across /sync computations (see ignored-users.ts for what it hides).

/** Users whose ignore lists are kept; least recently used first out. */
const MAX_USERS = 50_000;

/**
 * Ignore lists per user, so a woken long-poll does not read the user's account data again. Account data only
 * changes through writers that publish an 'account_data' notice naming the user after commit (also over the
 * bus from another process); the notice drops the entry, and a read racing a change is not kept.
 */
export class IgnoredUsersCache {
  private readonly entries = new Map<UserId, ReadonlySet<string>>();
  private generation = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly userData: UserDataStore,
    notices: NoticeSource,
  ) {
    this.unsubscribe = notices.subscribe((n) => {
      if (n.stream !== 'account_data') return;
      this.generation++;
      if (n.userIds === undefined) this.entries.clear();
      else for (const u of n.userIds) this.entries.delete(u);
    });
  }

  async get(userId: UserId): Promise<ReadonlySet<string>> {
    const hit = this.entries.get(userId);
    if (hit !== undefined) {
      this.entries.delete(userId);
      this.entries.set(userId, hit);
      return hit;
    }
    const before = this.generation;
    const row = await this.userData.getAccountData(userId, '', 'm.ignored_user_list');
    const list = row?.content.ignored_users;
    const set: ReadonlySet<string> = new Set(typeof list === 'object' && list !== null && !Array.isArray(list) ? Object.keys(list) : []);
    if (this.generation === before) {
      this.entries.set(userId, set);
      if (this.entries.size > MAX_USERS) this.entries.delete(this.entries.keys().next().value as UserId);
    }
    return set;
  }

  close(): void {
    this.unsubscribe();
  }
}
