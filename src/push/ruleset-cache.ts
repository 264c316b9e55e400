import { PUSH_RULE_KINDS, type PushRule, type PushRuleset } from '../protocol/index.js';
import type { UserId } from '../types/ids.js';
import type { NoticeSource } from '../types/notices.js';

// Merged push rulesets per user for evaluation: without it every message costs two queries and a merge per
// recipient. A user's rules only change through the rules service, which publishes an 'account_data' notice
// for them (the m.push_rules mirror); that notice, also when it comes from another process over the bus,
// drops the entry. A load racing a change is not stored (the generation moved), so nothing stale sticks.
//
// A room's events are evaluated for every local member, in the same order each time, so the bound must hold
// the members of the largest room: with fewer entries than members the least recently used one is always the
// next one needed, and every evaluation went back to the database (a 10,000-member room: two queries per
// member per event). Rules that do not name their user are the same objects for every user who has them
// (interned), which keeps an entry to the few rules that mention its user (~4.4 kB -> well under 1 kB) and
// lets per-event condition results (PushMatcherCache.eventResult) be shared across members. Evaluation
// only reads rulesets.

export interface RulesetCache {
  /** A cached ruleset is returned as it is, not in a promise: the evaluator asks once per member per event. */
  get(userId: UserId): PushRuleset | Promise<PushRuleset>;
  close(): void;
}

/** Distinct shared rules kept; past it rules are simply not interned. */
const MAX_INTERNED = 10_000;

export function createRulesetCache(load: (userId: UserId) => Promise<PushRuleset>, notices: NoticeSource, max = 50_000): RulesetCache {
  const entries = new Map<UserId, PushRuleset>();
  const interned = new Map<string, PushRule>();
  const intern = (userId: UserId, ruleset: PushRuleset): PushRuleset => {
    const out = {} as PushRuleset;
    for (const kind of PUSH_RULE_KINDS) {
      out[kind] = (ruleset[kind] ?? []).map((rule) => {
        const text = JSON.stringify(rule);
        if (text.includes(userId)) return rule;
        const shared = interned.get(text);
        if (shared !== undefined) return shared;
        if (interned.size < MAX_INTERNED) interned.set(text, rule);
        return rule;
      });
    }
    return out;
  };
  let generation = 0;
  const unsubscribe = notices.subscribe((n) => {
    if (n.stream !== 'account_data' && n.stream !== 'push_rules') return;
    generation++;
    if (n.userIds === undefined) entries.clear();
    else for (const u of n.userIds) entries.delete(u);
  });
  return {
    get(userId) {
      const hit = entries.get(userId);
      if (hit !== undefined) {
        // Most recently used last, so the oldest is evicted first.
        entries.delete(userId);
        entries.set(userId, hit);
        return hit;
      }
      const before = generation;
      return load(userId).then((loaded) => {
        const ruleset = intern(userId, loaded);
        if (generation === before) {
          entries.set(userId, ruleset);
          if (entries.size > max) entries.delete(entries.keys().next().value as UserId);
        }
        return ruleset;
      });
    },
    close: unsubscribe,
  };
}
