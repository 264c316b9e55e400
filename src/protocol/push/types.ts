import type { JsonObject } from '../../types/json.js';

// Shapes of the spec's push rule schemas (client-server definitions push_rule.yaml, push_condition.yaml,
// push_ruleset.yaml). Rules are stored and served in exactly this JSON form, so the field names stay snake_case.

/** The kinds in the order they are checked (spec: Push Rules). */
export const PUSH_RULE_KINDS = ['override', 'content', 'room', 'sender', 'underride'] as const;
export type PushRuleKind = (typeof PUSH_RULE_KINDS)[number];

export function isPushRuleKind(s: string): s is PushRuleKind {
  return (PUSH_RULE_KINDS as readonly string[]).includes(s);
}

/**
 * An action: a bare name (`"notify"`) or an object keyed by its name with parameters
 * (`{ "set_tweak": "sound", "value": "default" }`). Unknown actions pass through untouched because
 * clients and push gateways may agree on their own tweaks.
 */
export type PushAction = string | JsonObject;

/** The non-compound canonical JSON values that event_property_is / _contains compare against. */
export type PushConditionValue = string | number | boolean | null;

/**
 * One condition. Only `kind` is required by the schema; which other fields matter depends on the kind.
 * Rules come from users, so the evaluator re-checks every field's runtime type instead of trusting this.
 */
export interface PushCondition {
  kind: string;
  key?: string;
  pattern?: string;
  is?: string;
  value?: PushConditionValue;
}

export interface PushRule {
  rule_id: string;
  /** True for server-default (predefined) rules, whose ids start with a dot. */
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  /** Only for override and underride rules. */
  conditions?: PushCondition[];
  /** Only for content rules: a glob matched against `content.body` at word boundaries. */
  pattern?: string;
}

/** The `global` ruleset: every kind present, each list in priority order (highest first). */
export type PushRuleset = Record<PushRuleKind, PushRule[]>;
