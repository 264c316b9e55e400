import { stripHistoricalActions } from './actions.js';
import { bodyMatchesPattern, conditionMatches, EVENT_ONLY_CONDITIONS, type PushConditionContext, type PushEvent } from './conditions.js';
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
  /**
   * The matching rule's actions with the historical `dont_notify` / `coalesce` removed. May be empty. One
   * array per rule and cache, shared by every evaluation that rule matched: never changed by its readers.
   */
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

interface PlanStep {
  kind: PushRuleKind;
  rule: PushRule;
  /** Whether the rule's result depends on the event alone, so one result serves every recipient. */
  eventOnly: boolean;
  actions: PushAction[];
}

/** A ruleset's enabled rules in evaluation order (kind order, then list order). */
function planOf(ruleset: PushRuleset): PlanStep[] {
  const steps: PlanStep[] = [];
  for (const kind of PUSH_RULE_KINDS) {
    for (const rule of ruleset[kind] ?? []) {
      if (rule.enabled !== true) continue;
      // contains_display_name reads the recipient's name; room_member_count and sender_notification_permission
      // read the context, which a caller may vary for one event object.
      const eventOnly = (kind !== 'override' && kind !== 'underride') || (rule.conditions ?? []).every((c) => EVENT_ONLY_CONDITIONS.has(c.kind));
      steps.push({ kind, rule, eventOnly, actions: stripHistoricalActions(rule.actions) });
    }
  }
  return steps;
}

/**
 * The first enabled rule (in kind order, then list order) that matches `event` for the recipient in
 * `ctx`, or null when none does. `ruleset` is the recipient's merged ruleset (see mergePushRules), never
 * changed in place once evaluated (the cache keeps what it derives from it per object).
 * A match with empty actions means "matched, do not notify" and still stops evaluation.
 * Returns null for the recipient's own events: the spec forbids notifying a user of what they sent.
 */
export function evaluatePushRules(ruleset: PushRuleset, event: PushEvent, ctx: PushEvaluationContext): PushEvaluation | null {
  if (event['sender'] === ctx.userId) return null;
  const cache = ctx.cache ?? new PushMatcherCache();
  const known = cache.ruleResults(event);
  for (const { kind, rule, eventOnly, actions } of cache.plan(ruleset, planOf)) {
    let matched = eventOnly ? known.get(rule) : undefined;
    if (matched === undefined) {
      matched = ruleMatches(kind, rule, event, ctx, cache);
      if (eventOnly) known.set(rule, matched);
    }
    if (matched) return { kind, ruleId: rule.rule_id, actions };
  }
  return null;
}
