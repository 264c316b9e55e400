import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRuleset } from '../../../src/protocol/push/default-rules.js';
import { evaluatePushRules, type PushEvaluationContext } from '../../../src/protocol/push/evaluate.js';
import { mergePushRules } from '../../../src/protocol/push/merge.js';
import { PushMatcherCache } from '../../../src/protocol/push/glob.js';
import { actionsHighlight, actionsNotify } from '../../../src/protocol/push/actions.js';
import type { PushEvent } from '../../../src/protocol/push/conditions.js';
import type { PushRule, PushRuleset } from '../../../src/protocol/push/types.js';

const ALICE = '@alice:example.org';
const ctx: PushEvaluationContext = { userId: ALICE, displayName: 'Alice', roomMemberCount: 5, senderPowerLevel: 0, notificationPowerLevels: {} };
const msg = (body: string, extra: Record<string, unknown> = {}): PushEvent => ({
  type: 'm.room.message',
  sender: '@bob:example.org',
  room_id: '!r:example.org',
  content: { msgtype: 'm.text', body, ...extra },
});
const empty = (): PushRuleset => ({ override: [], content: [], room: [], sender: [], underride: [] });
const rule = (id: string, fields: Partial<PushRule>): PushRule => ({ rule_id: id, default: false, enabled: true, actions: ['notify'], ...fields });

describe('evaluatePushRules', () => {
  test('returns null when no rule matches', () => {
    assert.equal(evaluatePushRules(defaultRuleset(ALICE), { type: 'm.room.topic', sender: '@bob:example.org', state_key: '', content: { topic: 't' } }, ctx), null);
  });

  test('never notifies users of their own events', () => {
    assert.equal(evaluatePushRules(defaultRuleset(ALICE), { ...msg('hi'), sender: ALICE }, ctx), null);
  });

  test('checks kinds in order override, content, room, sender, underride', () => {
    const rs = empty();
    rs.underride.push(rule('u', { conditions: [] }));
    rs.sender.push(rule('@bob:example.org', {}));
    rs.room.push(rule('!r:example.org', {}));
    rs.content.push(rule('c', { pattern: 'hi' }));
    rs.override.push(rule('o', { conditions: [{ kind: 'event_match', key: 'content.body', pattern: 'hi' }] }));
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      const result = evaluatePushRules(rs, msg('hi'), ctx);
      assert.ok(result);
      order.push(result.kind);
      const list = rs[result.kind];
      list.splice(list.findIndex((r) => r.rule_id === result.ruleId), 1);
    }
    assert.deepEqual(order, ['override', 'content', 'room', 'sender', 'underride']);
  });

  test('within a kind the first matching rule wins', () => {
    const rs = empty();
    rs.content.push(rule('time', { pattern: 'time', actions: [] }), rule('tea', { pattern: 'tea' }));
    assert.equal(evaluatePushRules(rs, msg("It's time for tea"), ctx)?.ruleId, 'time');
  });

  test('skips disabled rules', () => {
    const rs = empty();
    rs.content.push(rule('off', { pattern: 'tea', enabled: false, actions: [] }), rule('on', { pattern: 'tea' }));
    assert.equal(evaluatePushRules(rs, msg('tea'), ctx)?.ruleId, 'on');
  });

  test('content rules match content.body at word boundaries only', () => {
    const rs = empty();
    rs.content.push(rule('cake', { pattern: 'cake' }));
    assert.equal(evaluatePushRules(rs, msg('want some cake?'), ctx)?.ruleId, 'cake');
    assert.equal(evaluatePushRules(rs, msg('cupcakes'), ctx), null);
    assert.equal(evaluatePushRules(rs, { ...msg('x'), content: { topic: 'cake' } }, ctx), null);
  });

  test('content rules without a pattern never match', () => {
    const rs = empty();
    rs.content.push(rule('nopattern', {}));
    assert.equal(evaluatePushRules(rs, msg('anything'), ctx), null);
  });

  test('room and sender rules match by their rule id', () => {
    const rs = empty();
    rs.room.push(rule('!other:example.org', {}));
    rs.sender.push(rule('@bob:example.org', { actions: [] }));
    assert.equal(evaluatePushRules(rs, msg('x'), ctx)?.ruleId, '@bob:example.org');
    assert.equal(evaluatePushRules(rs, { ...msg('x'), room_id: '!other:example.org' }, ctx)?.ruleId, '!other:example.org');
    assert.equal(evaluatePushRules(rs, { ...msg('x'), sender: '@carol:example.org' }, ctx), null);
  });

  test('an override rule without conditions matches everything', () => {
    const rs = empty();
    rs.override.push(rule('all', {}));
    assert.equal(evaluatePushRules(rs, { type: 'org.example.anything', sender: '@bob:example.org', content: {} }, ctx)?.ruleId, 'all');
  });

  test('a rule with an unknown condition is effectively disabled', () => {
    const rs = empty();
    rs.override.push(rule('future', { conditions: [{ kind: 'org.example.future' }] }));
    rs.underride.push(rule('fallback', { conditions: [] }));
    assert.equal(evaluatePushRules(rs, msg('x'), ctx)?.ruleId, 'fallback');
  });

  test('strips historical actions, so ["dont_notify"] is a match with no actions', () => {
    const rs = empty();
    rs.override.push(rule('quiet', { conditions: [], actions: ['dont_notify', 'coalesce'] }));
    const result = evaluatePushRules(rs, msg('x'), ctx);
    assert.deepEqual(result, { kind: 'override', ruleId: 'quiet', actions: [] });
    assert.equal(actionsNotify(result.actions), false);
  });

  test('the deprecated contains_display_name condition uses the display name from the context', () => {
    const rs = empty();
    rs.override.push(rule('name', { conditions: [{ kind: 'contains_display_name' }], actions: ['notify', { set_tweak: 'highlight' }] }));
    const hit = evaluatePushRules(rs, msg('hey alice!'), ctx);
    assert.equal(actionsHighlight(hit?.actions ?? []), true);
    assert.equal(evaluatePushRules(rs, msg('hey alice!'), { ...ctx, displayName: 'Bob' }), null);
  });

  test('user rules merged with defaults outrank the server defaults, and the master rule outranks both', () => {
    const merged = mergePushRules(defaultRuleset(ALICE), {
      rules: { override: [rule('shh', { conditions: [{ kind: 'event_match', key: 'room_id', pattern: '!r:example.org' }], actions: [] })] },
    });
    const mention = msg('hi', { 'm.mentions': { user_ids: [ALICE] } });
    assert.equal(evaluatePushRules(merged, mention, ctx)?.ruleId, 'shh');
    const muted = mergePushRules(defaultRuleset(ALICE), {
      rules: { override: [rule('loud', { conditions: [] })] },
      overrides: [{ kind: 'override', ruleId: '.m.rule.master', enabled: true }],
    });
    assert.equal(evaluatePushRules(muted, mention, ctx)?.ruleId, '.m.rule.master');
  });

  test('a user mention in a 1:1 room highlights; a plain message in a group only notifies', () => {
    const rs = defaultRuleset(ALICE);
    const mention = evaluatePushRules(rs, msg('hi', { 'm.mentions': { user_ids: [ALICE] } }), { ...ctx, roomMemberCount: 2 });
    assert.equal(mention?.ruleId, '.m.rule.is_user_mention');
    assert.equal(actionsHighlight(mention.actions), true);
    const plain = evaluatePushRules(rs, msg(`hi ${ALICE}`), ctx);
    assert.equal(plain?.ruleId, '.m.rule.message');
    assert.equal(actionsNotify(plain.actions), true);
    assert.equal(actionsHighlight(plain.actions), false);
  });

  test('a shared cache compiles each pattern once across many recipients', () => {
    const cache = new PushMatcherCache();
    const event = msg('hello there');
    for (let i = 0; i < 200; i++) {
      const userId = `@user${i}:example.org`;
      const rs = mergePushRules(defaultRuleset(userId), { rules: { content: [rule('hello', { pattern: 'hello' })] } });
      assert.equal(evaluatePushRules(rs, event, { ...ctx, userId, cache })?.ruleId, 'hello');
    }
    // Only patterns shared by every recipient get compiled: each user's invite_for_me pattern names them,
    // but that rule fails on its `type` condition before its state_key pattern is needed.
    assert.ok(cache.compiledCount < 20, `compiled ${cache.compiledCount}`);
  });

  test('one event object with a shared cache: what depends on the recipient or the room is judged per evaluation', () => {
    const cache = new PushMatcherCache();
    const CAROL = '@carol:example.org';
    const event = msg('tea, Alice?');
    const mention = msg('tea?', { 'm.mentions': { user_ids: [CAROL] } });
    // (The spec's default rules no longer look for display names: a rule of the user's own does.)
    const alice = mergePushRules(defaultRuleset(ALICE), { rules: { override: [rule('name', { conditions: [{ kind: 'contains_display_name' }] })] } });
    const carol = defaultRuleset(CAROL);
    const ids = () => [
      evaluatePushRules(alice, event, { ...ctx, cache })?.ruleId,
      evaluatePushRules(alice, event, { ...ctx, displayName: 'Al', cache })?.ruleId,
      evaluatePushRules(alice, event, { ...ctx, displayName: 'Al', roomMemberCount: 2, cache })?.ruleId,
      evaluatePushRules(alice, event, { ...ctx, displayName: 'Al', senderPowerLevel: 100, cache })?.ruleId,
      evaluatePushRules(carol, mention, { ...ctx, userId: CAROL, displayName: 'Carol', cache })?.ruleId,
      evaluatePushRules(alice, mention, { ...ctx, cache })?.ruleId,
    ];
    const expected = ['name', '.m.rule.message', '.m.rule.room_one_to_one', '.m.rule.message', '.m.rule.is_user_mention', '.m.rule.message'];
    assert.deepEqual(ids(), expected);
    assert.deepEqual(ids(), expected, 'the same again, from the cache');
    // Actions come from the rule, one array per rule: equal for every recipient it matched.
    const a = evaluatePushRules(defaultRuleset('@dan:example.org'), event, { ...ctx, userId: '@dan:example.org', displayName: 'Dan', cache });
    const b = evaluatePushRules(defaultRuleset('@eve:example.org'), event, { ...ctx, userId: '@eve:example.org', displayName: 'Eve', cache });
    assert.deepEqual(a?.actions, b?.actions);
  });

  test('accepts the event as any JSON object, reading state_key and nested content', () => {
    const rs = defaultRuleset(ALICE);
    const pduLike: PushEvent = { type: 'm.room.member', state_key: ALICE, sender: '@bob:example.org', content: { membership: 'invite' }, depth: 3, prev_events: [] };
    assert.equal(evaluatePushRules(rs, pduLike, ctx)?.ruleId, '.m.rule.invite_for_me');
  });
});
