import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { defaultRuleset } from '../../../src/protocol/push/default-rules.js';
import { evaluatePushRules, type PushEvaluationContext } from '../../../src/protocol/push/evaluate.js';
import { mergePushRules } from '../../../src/protocol/push/merge.js';
import type { PushEvent } from '../../../src/protocol/push/conditions.js';
import { PUSH_RULE_KINDS, type PushRule } from '../../../src/protocol/push/types.js';

const SPEC = join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/spec');
const ALICE = '@alice:example.org';

// The schema files reference each other by relative path (push_ruleset -> push_rule -> push_condition).
function loadSchema(file: string): unknown {
  return resolveRefs(YAML.parse(readFileSync(file, 'utf8')) as unknown, dirname(file));
}

function resolveRefs(node: unknown, dir: string): unknown {
  if (Array.isArray(node)) return node.map((n) => resolveRefs(n, dir));
  if (typeof node !== 'object' || node === null) return node;
  const { $ref, ...rest } = node as Record<string, unknown>;
  const resolvedRest = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, resolveRefs(v, dir)]));
  if ($ref === undefined) return resolvedRest;
  if (typeof $ref !== 'string' || $ref.includes('#')) throw new Error(`unsupported $ref ${String($ref)}`);
  return { ...(loadSchema(join(dir, $ref)) as Record<string, unknown>), ...resolvedRest };
}

// Every "Definition:" JSON block of the spec's predefined rules, in document order, per section.
function specDefinitions(): { override: unknown[]; underride: unknown[]; content: unknown[] } {
  const md = readFileSync(join(SPEC, 'content/client-server-api/modules/push.md'), 'utf8');
  const section = (from: string, to: string): unknown[] => {
    const start = md.indexOf(from);
    const end = md.indexOf(to, start);
    assert.ok(start >= 0 && end > start, `section ${from} not found`);
    const blocks = [...md.slice(start, end).matchAll(/Definition:\s*```json\n([\s\S]*?)```/g)];
    return blocks.map((b) => JSON.parse((b[1] ?? '').replaceAll("[the user's Matrix ID]", ALICE)) as unknown);
  };
  return {
    override: section('##### Default Override Rules', '##### Default Underride Rules'),
    underride: section('##### Default Underride Rules', '#### Push Rules: API'),
    // v1.19 has no "Default Content Rules" section: the body-mention rules were removed in v1.17.
    content: md.includes('##### Default Content Rules') ? [null] : [],
  };
}

describe('defaultRuleset', () => {
  test('validates against the spec push_ruleset schema', () => {
    const schema = loadSchema(join(SPEC, 'data/api/client-server/definitions/push_ruleset.yaml')) as Record<string, unknown>;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const ok = validate(defaultRuleset(ALICE, 'alice'));
    assert.equal(ok, true, JSON.stringify(validate.errors));
  });

  test('the schema check can fail: a rule without actions is rejected', () => {
    const schema = loadSchema(join(SPEC, 'data/api/client-server/definitions/push_ruleset.yaml')) as Record<string, unknown>;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const broken = defaultRuleset(ALICE) as unknown as Record<string, Array<Record<string, unknown>>>;
    delete broken['override']?.[0]?.['actions'];
    assert.equal(validate(broken), false);
  });

  test('equals the rule definitions written in the spec, in the spec order', () => {
    const spec = specDefinitions();
    const ours = defaultRuleset(ALICE, 'alice');
    assert.equal(spec.override.length, 10);
    assert.equal(spec.underride.length, 5);
    assert.deepEqual(ours.override, spec.override);
    assert.deepEqual(ours.underride, spec.underride);
    assert.deepEqual(ours.content, spec.content);
    assert.deepEqual(ours.room, []);
    assert.deepEqual(ours.sender, []);
  });

  test('every rule is a default rule with a dot-prefixed id and only the fields its kind allows', () => {
    const rs = defaultRuleset(ALICE);
    for (const kind of PUSH_RULE_KINDS) {
      for (const r of rs[kind]) {
        assert.equal(r.default, true);
        assert.ok(r.rule_id.startsWith('.'), r.rule_id);
        const allowed = kind === 'content' ? ['actions', 'default', 'enabled', 'rule_id', 'pattern'] : ['actions', 'default', 'enabled', 'rule_id', 'conditions'];
        for (const field of Object.keys(r)) assert.ok(allowed.includes(field), `${r.rule_id}.${field}`);
      }
    }
  });

  test('returns fresh objects on every call', () => {
    const a = defaultRuleset(ALICE);
    const b = defaultRuleset(ALICE);
    (a.override[1] as PushRule).actions.push('notify');
    a.underride.length = 0;
    assert.deepEqual(b.override[1]?.actions, []);
    assert.equal(b.underride.length, 5);
  });

  test('binds the recipient user id into the rules that name them', () => {
    const bob = JSON.stringify(defaultRuleset('@bob:example.org'));
    assert.ok(bob.includes('@bob:example.org'));
    assert.ok(!bob.includes(ALICE));
  });
});

// One case per default rule, in the spec's priority order: an event that the rule decides, and a close
// variant that it does not (which falls to a later rule or to none). Each "triggers" event goes through
// the whole ruleset, so it also shows that no earlier rule claims it.
const ctx: PushEvaluationContext = { userId: ALICE, displayName: 'Alice', roomMemberCount: 5, senderPowerLevel: 0, notificationPowerLevels: {} };
const msg = (content: Record<string, unknown>): PushEvent => ({ type: 'm.room.message', sender: '@bob:example.org', room_id: '!r:example.org', content: { msgtype: 'm.text', body: 'hi', ...content } });
const state = (type: string, stateKey: string | undefined, content: Record<string, unknown> = {}): PushEvent => ({
  type,
  sender: '@bob:example.org',
  room_id: '!r:example.org',
  content,
  ...(stateKey === undefined ? {} : { state_key: stateKey }),
});
const other = (type: string, content: Record<string, unknown> = {}): PushEvent => state(type, undefined, content);

interface RuleCase {
  ruleId: string;
  triggers: { event: PushEvent; ctx?: Partial<PushEvaluationContext> };
  not: { event: PushEvent; ctx?: Partial<PushEvaluationContext>; decidedBy: string | null };
}

const ruleCases: RuleCase[] = [
  { ruleId: '.m.rule.suppress_notices', triggers: { event: msg({ msgtype: 'm.notice', 'm.mentions': { user_ids: [ALICE] } }) }, not: { event: msg({}), decidedBy: '.m.rule.message' } },
  { ruleId: '.m.rule.invite_for_me', triggers: { event: state('m.room.member', ALICE, { membership: 'invite' }) }, not: { event: state('m.room.member', '@carol:example.org', { membership: 'invite' }), decidedBy: '.m.rule.member_event' } },
  { ruleId: '.m.rule.member_event', triggers: { event: state('m.room.member', '@carol:example.org', { membership: 'join' }) }, not: { event: msg({}), decidedBy: '.m.rule.message' } },
  {
    ruleId: '.m.rule.is_user_mention',
    triggers: { event: msg({ 'm.mentions': { user_ids: [ALICE], room: true } }), ctx: { roomMemberCount: 2, senderPowerLevel: 100 } },
    not: { event: msg({ 'm.mentions': { user_ids: ['@carol:example.org'] }, body: `${ALICE} hi` }), decidedBy: '.m.rule.message' },
  },
  { ruleId: '.m.rule.is_room_mention', triggers: { event: msg({ 'm.mentions': { room: true } }), ctx: { senderPowerLevel: 50 } }, not: { event: msg({ 'm.mentions': { room: true } }), ctx: { senderPowerLevel: 49 }, decidedBy: '.m.rule.message' } },
  { ruleId: '.m.rule.tombstone', triggers: { event: state('m.room.tombstone', '', { replacement_room: '!n:example.org' }) }, not: { event: other('m.room.tombstone'), decidedBy: null } },
  { ruleId: '.m.rule.reaction', triggers: { event: other('m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', key: '👍' } }) }, not: { event: other('m.sticker'), decidedBy: null } },
  { ruleId: '.m.rule.room.server_acl', triggers: { event: state('m.room.server_acl', '', { allow: ['*'] }) }, not: { event: state('m.room.server_acl', 'x'), decidedBy: null } },
  { ruleId: '.m.rule.suppress_edits', triggers: { event: msg({ 'm.relates_to': { rel_type: 'm.replace', event_id: '$e' } }) }, not: { event: msg({ 'm.relates_to': { rel_type: 'm.thread', event_id: '$e' } }), decidedBy: '.m.rule.message' } },
  { ruleId: '.m.rule.call', triggers: { event: other('m.call.invite'), ctx: { roomMemberCount: 2 } }, not: { event: other('m.call.answer'), decidedBy: null } },
  { ruleId: '.m.rule.encrypted_room_one_to_one', triggers: { event: other('m.room.encrypted'), ctx: { roomMemberCount: 2 } }, not: { event: other('m.room.encrypted'), ctx: { roomMemberCount: 3 }, decidedBy: '.m.rule.encrypted' } },
  { ruleId: '.m.rule.room_one_to_one', triggers: { event: msg({}), ctx: { roomMemberCount: 2 } }, not: { event: msg({}), ctx: { roomMemberCount: 3 }, decidedBy: '.m.rule.message' } },
  { ruleId: '.m.rule.message', triggers: { event: msg({}) }, not: { event: state('m.room.topic', '', { topic: 'm.room.message' }), decidedBy: null } },
  { ruleId: '.m.rule.encrypted', triggers: { event: other('m.room.encrypted') }, not: { event: other('m.room.encrypted_not'), decidedBy: null } },
];

describe('default rules decide events in the spec priority order', () => {
  const rules = defaultRuleset(ALICE);

  test('the cases cover every default rule but the master rule, in order', () => {
    const ids = [...rules.override, ...rules.underride].map((r) => r.rule_id).filter((id) => id !== '.m.rule.master');
    assert.deepEqual(ruleCases.map((c) => c.ruleId), ids);
  });

  for (const c of ruleCases) {
    test(`${c.ruleId} decides its event`, () => {
      const result = evaluatePushRules(rules, c.triggers.event, { ...ctx, ...c.triggers.ctx });
      assert.equal(result?.ruleId, c.ruleId);
    });
    test(`${c.ruleId} does not decide a near miss`, () => {
      const result = evaluatePushRules(rules, c.not.event, { ...ctx, ...c.not.ctx });
      assert.equal(result?.ruleId ?? null, c.not.decidedBy);
    });
  }

  test('.m.rule.master is disabled by default and, once enabled, decides every event first', () => {
    assert.notEqual(evaluatePushRules(rules, msg({}), ctx)?.ruleId, '.m.rule.master');
    const muted = mergePushRules(rules, { overrides: [{ kind: 'override', ruleId: '.m.rule.master', enabled: true }] });
    for (const c of ruleCases) {
      const result = evaluatePushRules(muted, c.triggers.event, { ...ctx, ...c.triggers.ctx });
      assert.equal(result?.ruleId, '.m.rule.master', c.ruleId);
      assert.deepEqual(result?.actions, []);
    }
  });

  test('the actions of the main rules notify and highlight as the spec defines', () => {
    const mention = evaluatePushRules(rules, msg({ 'm.mentions': { user_ids: [ALICE] } }), ctx);
    assert.deepEqual(mention?.actions, ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }]);
    const call = evaluatePushRules(rules, other('m.call.invite'), ctx);
    assert.deepEqual(call?.actions, ['notify', { set_tweak: 'sound', value: 'ring' }]);
  });
});
