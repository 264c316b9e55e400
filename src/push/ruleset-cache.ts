import type { PushRuleset } from '../protocol/index.js';
import type { UserId } from '../types/ids.js';
import type { NoticeSource } from '../types/notices.js';

// Merged push rulesets per user for evaluation: without it every message costs two queries and a merge per
// recipient. A user's rules only change through the rules service, which publishes an 'account_data' notice
// for them (the m.push_rules mirror); that notice, also when it comes from another process over the bus,
// drops the entry. A load racing a change is not stored (the generation moved), so nothing stale sticks.

export interface RulesetCache {
  get(userId: UserId): Promise<PushRuleset>;
  close(): void;
}

export function createRulesetCache(load: (userId: UserId) => Promise<PushRuleset>, notices: NoticeSource, max = 5_000): RulesetCache {
  const entries = new Map<UserId, PushRuleset>();
  let generation = 0;
  const unsubscribe = notices.subscribe((n) => {
    if (n.stream !== 'account_data' && n.stream !== 'push_rules') return;
    generation++;
    if (n.userIds === undefined) entries.clear();
    else for (const u of n.userIds) entries.delete(u);
  });
  return {
    async get(userId) {
      const hit = entries.get(userId);
      if (hit !== undefined) {
        // Most recently used last, so the oldest is evicted first.
        entries.delete(userId);
        entries.set(userId, hit);
        return hit;
      }
      const before = generation;
      const ruleset = await load(userId);
      if (generation === before) {
        entries.set(userId, ruleset);
        if (entries.size > max) entries.delete(entries.keys().next().value as UserId);
      }
      return ruleset;
    },
    close: unsubscribe,
  };
}
