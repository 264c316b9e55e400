import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRuleset } from '../../../src/protocol/push/default-rules.js';
import { mergePushRules } from '../../../src/protocol/push/merge.js';
import type { PushRule } from '../../../src/protocol/push/types.js';

const ALICE = '@alice:example.org';

const userOverride: PushRule = {
  rule_id: 'beer',
  default: false,
  enabled: true,
  conditions: [
    { kind: 'event_match', key: 'content.body', pattern: 'beer' },
    { kind: 'room_member_count', is: '<=10' },
  ],
  actions: ['notify', { set_tweak: 'sound', value: 'beeroclock.wav' }],
};
const cake: PushRule = { rule_id: 'cake', default: false, enabled: true, pattern: 'cake', actions: ['notify'] };
const cakeLie: PushRule = { rule_id: 'cakelie', default: false, enabled: true, pattern: 'cake*lie', actions: ['notify'] };
const quietRoom: PushRule = { rule_id: '!quiet:example.org', default: false, enabled: true, actions: [] };
const spambot: PushRule = { rule_id: '@spambot:example.org', default: false, enabled: true, actions: [] };
const lateUnderride: PushRule = { rule_id: 'all', default: false, enabled: true, conditions: [], actions: ['notify'] };

describe('mergePushRules', () => {
  test('with no user data returns the defaults unchanged', () => {
    assert.deepEqual(mergePushRules(defaultRuleset(ALICE)), defaultRuleset(ALICE));
  });

  test('puts user rules before server defaults in every kind, except .m.rule.master which stays first', () => {
    const merged = mergePushRules(defaultRuleset(ALICE), {
      rules: { override: [userOverride], content: [cakeLie, cake], room: [quietRoom], sender: [spambot], underride: [lateUnderride] },
    });
    const ids = (k: keyof typeof merged): string[] => merged[k].map((r) => r.rule_id);
    assert.deepEqual(ids('override').slice(0, 3), ['.m.rule.master', 'beer', '.m.rule.suppress_notices']);
    assert.equal(ids('override').length, 11);
    assert.deepEqual(ids('content'), ['cakelie', 'cake']);
    assert.deepEqual(ids('room'), ['!quiet:example.org']);
    assert.deepEqual(ids('sender'), ['@spambot:example.org']);
    assert.deepEqual(ids('underride'), ['all', '.m.rule.call', '.m.rule.encrypted_room_one_to_one', '.m.rule.room_one_to_one', '.m.rule.message', '.m.rule.encrypted']);
  });

  test('applies enabled flags and actions overrides to default rules', () => {
    const merged = mergePushRules(defaultRuleset(ALICE), {
      overrides: [
        { kind: 'override', ruleId: '.m.rule.master', enabled: true },
        { kind: 'underride', ruleId: '.m.rule.message', actions: ['notify', { set_tweak: 'sound', value: 'default' }] },
        { kind: 'override', ruleId: '.m.rule.suppress_notices', enabled: false },
      ],
    });
    const find = (kind: 'override' | 'underride', id: string): PushRule | undefined => merged[kind].find((r) => r.rule_id === id);
    assert.equal(find('override', '.m.rule.master')?.enabled, true);
    assert.equal(find('override', '.m.rule.suppress_notices')?.enabled, false);
    assert.deepEqual(find('underride', '.m.rule.message')?.actions, ['notify', { set_tweak: 'sound', value: 'default' }]);
    assert.equal(find('underride', '.m.rule.message')?.default, true);
  });

  test('applies overrides to user rules too, matched by kind as well as id', () => {
    const merged = mergePushRules(defaultRuleset(ALICE), {
      rules: { content: [cake] },
      overrides: [
        { kind: 'content', ruleId: 'cake', enabled: false },
        { kind: 'override', ruleId: 'cake', actions: ['notify'] },
      ],
    });
    assert.equal(merged.content[0]?.enabled, false);
    assert.deepEqual(merged.content[0]?.actions, ['notify']);
  });

  test('marks user rules as non-default and ignores user rules using the reserved dot prefix', () => {
    const merged = mergePushRules(defaultRuleset(ALICE), {
      rules: {
        override: [{ ...userOverride, default: true }, { rule_id: '.m.rule.fake', default: false, enabled: true, conditions: [], actions: ['notify'] }],
      },
    });
    assert.equal(merged.override.find((r) => r.rule_id === 'beer')?.default, false);
    assert.equal(merged.override.some((r) => r.rule_id === '.m.rule.fake'), false);
  });

  test('keeps only the first of two user rules with the same id', () => {
    const merged = mergePushRules(defaultRuleset(ALICE), { rules: { content: [cake, { ...cake, pattern: 'pie' }] } });
    assert.deepEqual(merged.content.map((r) => r.pattern), ['cake']);
  });

  test('does not modify or share objects with its inputs', () => {
    const defaults = defaultRuleset(ALICE);
    const snapshot = structuredClone(defaults);
    const user = { rules: { content: [cake] }, overrides: [{ kind: 'underride' as const, ruleId: '.m.rule.message', actions: ['notify'] }] };
    const merged = mergePushRules(defaults, user);
    merged.content[0]?.actions.push('x');
    merged.underride.find((r) => r.rule_id === '.m.rule.message')?.actions.push('y');
    merged.override[1]?.conditions?.push({ kind: 'x' });
    assert.deepEqual(defaults, snapshot);
    assert.deepEqual(cake.actions, ['notify']);
    assert.deepEqual(user.overrides[0]?.actions, ['notify']);
  });
});
