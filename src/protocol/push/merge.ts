import { PUSH_RULE_KINDS, type PushAction, type PushRule, type PushRuleKind, type PushRuleset } from './types.js';

// A user's effective ruleset = the server defaults + what the user stored: their own rules and their
// changes to the `enabled` flag or `actions` of any rule (default rules cannot be deleted or edited
// otherwise). Storage keeps only those user-side facts; this function produces the ruleset that
// evaluation uses and that GET /pushrules serves.

/** A change to one rule's enabled flag and/or actions, stored apart from the rule itself. */
export interface PushRuleOverride {
  kind: PushRuleKind;
  ruleId: string;
  enabled?: boolean;
  actions?: PushAction[];
}

export interface UserPushRules {
  /** Rules the user created, per kind, highest priority first. */
  rules?: Partial<Record<PushRuleKind, readonly PushRule[]>>;
  overrides?: readonly PushRuleOverride[];
}

const MASTER_RULE_ID = '.m.rule.master';

function copyRule(rule: PushRule, isDefault: boolean, override: PushRuleOverride | undefined): PushRule {
  const out: PushRule = {
    rule_id: rule.rule_id,
    default: isDefault,
    enabled: override?.enabled ?? rule.enabled,
    actions: structuredClone(override?.actions ?? rule.actions),
  };
  if (rule.conditions !== undefined) out.conditions = rule.conditions.map((c) => ({ ...c }));
  if (rule.pattern !== undefined) out.pattern = rule.pattern;
  return out;
}

/**
 * Orders each kind as the spec requires: user-defined rules before server-default rules, except
 * `.m.rule.master`, which always comes first so that enabling it silences even the user's own rules.
 * Returns fresh objects; neither input is modified.
 */
export function mergePushRules(defaults: PushRuleset, user: UserPushRules = {}): PushRuleset {
  const overrides = new Map<string, PushRuleOverride>();
  for (const o of user.overrides ?? []) overrides.set(`${o.kind}\u0000${o.ruleId}`, o);
  const overrideFor = (kind: PushRuleKind, ruleId: string): PushRuleOverride | undefined => overrides.get(`${kind}\u0000${ruleId}`);

  const merged = { override: [], content: [], room: [], sender: [], underride: [] } as PushRuleset;
  for (const kind of PUSH_RULE_KINDS) {
    const serverRules = (defaults[kind] ?? []).map((r) => copyRule(r, true, overrideFor(kind, r.rule_id)));
    const first = serverRules.filter((r) => r.rule_id === MASTER_RULE_ID);
    const rest = serverRules.filter((r) => r.rule_id !== MASTER_RULE_ID);

    const seen = new Set(serverRules.map((r) => r.rule_id));
    const userRules: PushRule[] = [];
    for (const r of user.rules?.[kind] ?? []) {
      // A leading dot marks server-default ids; a user rule there could shadow or impersonate a default.
      if (r.rule_id.startsWith('.') || seen.has(r.rule_id)) continue;
      seen.add(r.rule_id);
      userRules.push(copyRule(r, false, overrideFor(kind, r.rule_id)));
    }
    merged[kind] = [...first, ...userRules, ...rest];
  }
  return merged;
}
