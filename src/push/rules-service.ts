import { invalidParam, MatrixError, missingParam, notFound } from '../errors/index.js';
import {
  defaultRuleset,
  isPushRuleKind,
  mergePushRules,
  type PushAction,
  type PushCondition,
  type PushRule,
  type PushRuleKind,
  type PushRuleOverride,
  type PushRuleset,
  type UserPushRules,
} from '../protocol/push/index.js';
import type { Storage, StoredPushRule } from '../storage/interfaces/index.js';
import type { UserId } from '../types/ids.js';
import type { JsonObject, JsonValue } from '../types/json.js';
import type { NoticeSink } from '../types/notices.js';

// The push rules API (client-server "Push Rules: API"): the user's own rules and their changes to the
// server-default ones live in the push store; everyone reads the merged ruleset. Every change is mirrored
// into global account data `m.push_rules` (the full ruleset, as Synapse does) so clients learn it through
// /sync, and the account-data notice wakes their long-polls.

export interface PushRuleBody {
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

export interface PushRulesService {
  /** The user's effective ruleset (defaults merged with their rules and changes). */
  getRuleset(userId: UserId): Promise<PushRuleset>;
  getRule(userId: UserId, scope: string, kind: string, ruleId: string): Promise<PushRule>;
  putRule(userId: UserId, scope: string, kind: string, ruleId: string, body: PushRuleBody, pos: { before?: string; after?: string }): Promise<void>;
  deleteRule(userId: UserId, scope: string, kind: string, ruleId: string): Promise<void>;
  setEnabled(userId: UserId, scope: string, kind: string, ruleId: string, enabled: boolean): Promise<void>;
  setActions(userId: UserId, scope: string, kind: string, ruleId: string, actions: PushAction[]): Promise<void>;
  /** The `m.push_rules` account data content: `{ global: ruleset }`. */
  accountDataContent(userId: UserId): Promise<JsonObject>;
}

export interface PushRulesServiceDeps {
  storage: Storage;
  notices: NoticeSink;
}

// Synapse answers an unknown scope or kind with 400 M_UNRECOGNIZED; clients only ever send valid ones.
function checkPath(scope: string, kind: string): PushRuleKind {
  if (scope !== 'global') throw new MatrixError('M_UNRECOGNIZED', 400, `Unknown push rule scope ${scope}`);
  if (!isPushRuleKind(kind)) throw new MatrixError('M_UNRECOGNIZED', 400, `Unknown push rule kind ${kind}`);
  return kind;
}

const KNOWN_STRING_ACTIONS: ReadonlySet<string> = new Set(['notify', 'dont_notify', 'coalesce']);

/** Rejects actions a push gateway could not act on, as Synapse does (strings it knows, or set_tweak objects). */
export function checkActions(actions: readonly unknown[]): PushAction[] {
  for (const a of actions) {
    if (typeof a === 'string') {
      if (!KNOWN_STRING_ACTIONS.has(a)) throw invalidParam(`Unrecognised action: ${a}`);
    } else if (typeof a !== 'object' || a === null || Array.isArray(a) || typeof (a as JsonObject)['set_tweak'] !== 'string') {
      throw invalidParam('Unrecognised action: objects must have a string set_tweak');
    }
  }
  return actions as PushAction[];
}

function toStoredRule(kind: PushRuleKind, ruleId: string, body: PushRuleBody, enabled: boolean): JsonObject {
  const rule: JsonObject = { rule_id: ruleId, default: false, enabled, actions: body.actions as JsonValue[] };
  if (kind === 'override' || kind === 'underride') rule.conditions = (body.conditions ?? []) as unknown as JsonValue[];
  if (kind === 'content') {
    if (typeof body.pattern !== 'string') throw missingParam('Content rules need a pattern');
    rule.pattern = body.pattern;
  }
  return rule;
}

function fromStored(row: StoredPushRule): PushRule {
  const r = row.rule;
  const out: PushRule = {
    rule_id: row.ruleId,
    default: false,
    enabled: r.enabled !== false,
    actions: Array.isArray(r.actions) ? (r.actions as PushAction[]) : [],
  };
  if (Array.isArray(r.conditions)) out.conditions = r.conditions as unknown as PushCondition[];
  if (typeof r.pattern === 'string') out.pattern = r.pattern;
  return out;
}

export function createPushRulesService(deps: PushRulesServiceDeps): PushRulesService {
  const { storage, notices } = deps;

  const userRules = async (userId: UserId): Promise<UserPushRules> => {
    const rules: Partial<Record<PushRuleKind, PushRule[]>> = {};
    for (const row of await storage.push.getUserRules(userId)) {
      if (!isPushRuleKind(row.kind)) continue;
      (rules[row.kind] ??= []).push(fromStored(row));
    }
    const overrides: PushRuleOverride[] = [];
    for (const o of await storage.push.getUserOverrides(userId)) {
      if (!isPushRuleKind(o.kind)) continue;
      const entry: PushRuleOverride = { kind: o.kind, ruleId: o.ruleId };
      if (o.enabled !== null) entry.enabled = o.enabled;
      if (o.actions !== null) entry.actions = o.actions as PushAction[];
      overrides.push(entry);
    }
    return { rules, overrides };
  };

  const getRuleset = async (userId: UserId): Promise<PushRuleset> => mergePushRules(defaultRuleset(userId), await userRules(userId));

  const accountDataContent = async (userId: UserId): Promise<JsonObject> => ({ global: (await getRuleset(userId)) as unknown as JsonObject });

  // Mirrors the new ruleset into account data so /sync carries it (see the header comment).
  const publish = async (userId: UserId): Promise<void> => {
    const content = await accountDataContent(userId);
    const gen = await storage.streamIdGenerator('account_data', 'stream_id');
    const alloc = gen.getNext();
    try {
      await storage.userData.putAccountData({ userId, roomId: '', type: 'm.push_rules', content, streamId: alloc.id });
    } finally {
      alloc.done();
    }
    notices.publish({ stream: 'account_data', position: alloc.id, userIds: [userId] });
  };

  const isDefaultRule = (userId: UserId, kind: PushRuleKind, ruleId: string): boolean =>
    ruleId.startsWith('.') && defaultRuleset(userId)[kind].some((r) => r.rule_id === ruleId);

  const findUserRule = async (userId: UserId, kind: PushRuleKind, ruleId: string): Promise<StoredPushRule | undefined> =>
    (await storage.push.getUserRules(userId)).find((r) => r.kind === kind && r.ruleId === ruleId);

  return {
    getRuleset,
    accountDataContent,

    async getRule(userId, scope, kind, ruleId) {
      const k = checkPath(scope, kind);
      const rule = (await getRuleset(userId))[k].find((r) => r.rule_id === ruleId);
      if (!rule) throw notFound('The push rule was not found.');
      return rule;
    },

    async putRule(userId, scope, kind, ruleId, body, pos) {
      const k = checkPath(scope, kind);
      if (ruleId.startsWith('.')) throw invalidParam("cannot add new rule_ids that start with '.'");
      if (ruleId.includes('/') || ruleId.includes('\\')) throw invalidParam('rule_id may not contain slashes');
      if (ruleId === '') throw invalidParam('rule_id may not be empty');
      checkActions(body.actions);
      const all = await storage.push.getUserRules(userId);
      const existing = all.find((r) => r.kind === k && r.ruleId === ruleId);
      // Rules of this kind without the one being written, highest priority first.
      const list = all.filter((r) => r.kind === k && r.ruleId !== ruleId);
      let index = 0; // no before/after: the most important user rule of its kind
      const relative = pos.before ?? pos.after;
      if (relative !== undefined) {
        const at = list.findIndex((r) => r.ruleId === relative);
        if (at < 0) throw new MatrixError('M_UNKNOWN', 400, `before/after rule not found: ${relative}`);
        index = pos.before !== undefined ? at : at + 1;
      }
      // A rewritten rule keeps its enabled flag; a new one is enabled (spec: MUST be enabled by default).
      const enabled = existing ? existing.rule.enabled !== false : true;
      const written: StoredPushRule = { kind: k, ruleId, priority: 0, rule: toStoredRule(k, ruleId, body, enabled) };
      list.splice(index, 0, written);
      // Renumber the kind: few rules per user, so rewriting them is simpler than keeping gaps.
      for (let i = 0; i < list.length; i++) {
        const r = list[i];
        if (!r) continue;
        const priority = list.length - i;
        if (r === written || r.priority !== priority) await storage.push.putUserRule(userId, { ...r, priority });
      }
      await publish(userId);
    },

    async deleteRule(userId, scope, kind, ruleId) {
      const k = checkPath(scope, kind);
      // Server-default rules are not in the user's table, so they answer 404 like any unknown rule (Synapse).
      if (!(await storage.push.deleteUserRule(userId, k, ruleId))) throw notFound('The push rule was not found.');
      await publish(userId);
    },

    async setEnabled(userId, scope, kind, ruleId, enabled) {
      const k = checkPath(scope, kind);
      if (isDefaultRule(userId, k, ruleId)) {
        await storage.push.putOverride(userId, k, ruleId, { enabled });
      } else {
        const row = await findUserRule(userId, k, ruleId);
        if (!row) throw notFound('The push rule was not found.');
        await storage.push.putUserRule(userId, { ...row, rule: { ...row.rule, enabled } });
      }
      await publish(userId);
    },

    async setActions(userId, scope, kind, ruleId, actions) {
      const k = checkPath(scope, kind);
      checkActions(actions);
      if (isDefaultRule(userId, k, ruleId)) {
        await storage.push.putOverride(userId, k, ruleId, { actions: actions as JsonValue[] });
      } else {
        const row = await findUserRule(userId, k, ruleId);
        if (!row) throw notFound('The push rule was not found.');
        await storage.push.putUserRule(userId, { ...row, rule: { ...row.rule, actions: actions as JsonValue[] } });
      }
      await publish(userId);
    },
  };
}
