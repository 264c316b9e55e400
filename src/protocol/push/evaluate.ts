import { stripHistoricalActions } from './actions.js';
import { bodyMatchesPattern, conditionMatches, type PushConditionContext, type PushEvent } from './conditions.js';
import { PushMatcherCache } from './glob.js';
import { PUSH_RULE_KINDS, type PushAction, type PushRule, type PushRuleKind, type PushRuleset } from './types.js';

export interface PushEvaluationContext extends PushConditionContext {
  /**
   * Compiled patterns shared across evaluations. Pass one long-lived instance: without it every call
   * compiles its patterns afresh, which is correct but wastes the work across a room's members.
   */
  cache?: PushMatcherCache;
}

export interface PushEvaluation {
  kind: PushRuleKind;
  ruleId: string;
  /** The matching rule's actions with the historical `dont_notify` / `coalesce` removed. May be empty. */
  actions: PushAction[];
}

function ruleMatches(kind: PushRuleKind, rule: PushRule, event: PushEvent, ctx: PushConditionContext, cache: PushMatcherCache): boolean {
  switch (kind) {
    case 'override':
    case 'underride':
      // A rule without conditions matches every event.
      return (rule.conditions ?? []).every((c) => conditionMatches(c, event, ctx, cache));
    case 'content':
      return bodyMatchesPattern(rule.pattern, event, cache);
    case 'room':
      return event['room_id'] === rule.rule_id;
    case 'sender':
      return event['sender'] === rule.rule_id;
  }
}

/**
 * The first enabled rule (in kind order, then list order) that matches `event` for the recipient in
 * `ctx`, or null when none does. `ruleset` is the recipient's merged ruleset (see mergePushRules).
 * A match with empty actions means "matched, do not notify" and still stops evaluation.
 * Returns null for the recipient's own events: the spec forbids notifying a user of what they sent.
 */
export function evaluatePushRules(ruleset: PushRuleset, event: PushEvent, ctx: PushEvaluationContext): PushEvaluation | null {
  if (event['sender'] === ctx.userId) return null;
  const cache = ctx.cache ?? new PushMatcherCache();
  for (const kind of PUSH_RULE_KINDS) {
    for (const rule of ruleset[kind] ?? []) {
      if (rule.enabled !== true) continue;
      if (ruleMatches(kind, rule, event, ctx, cache)) {
        return { kind, ruleId: rule.rule_id, actions: stripHistoricalActions(rule.actions) };
      }
    }
  }
  return null;
}
