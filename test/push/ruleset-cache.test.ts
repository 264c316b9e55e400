import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRuleset, evaluatePushRules, PushMatcherCache, type PushRuleset } from '../../src/protocol/index.js';
import { createRulesetCache } from '../../src/push/ruleset-cache.js';
import type { UserId } from '../../src/types/ids.js';
import type { StreamNotice } from '../../src/types/notices.js';

// Rulesets are evaluated for every local member of a room, in the same order for each event.

function fakeNotices() {
  const subs = new Set<(n: StreamNotice) => void>();
  return {
    subscribe(fn: (n: StreamNotice) => void) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
    publish(n: StreamNotice) {
      for (const fn of subs) fn(n);
    },
  };
}

test('the members of a 10,000-member room are loaded once, not once per event', async () => {
  let loads = 0;
  const cache = createRulesetCache(async (u) => {
    loads++;
    return defaultRuleset(u);
  }, fakeNotices());
  const users = Array.from({ length: 10_000 }, (_, i) => `@m${i}:example.org` as UserId);
  for (let event = 0; event < 3; event++) for (const u of users) await cache.get(u);
  assert.equal(loads, users.length);
  cache.close();
});

test('rules that do not name their user are shared; the ones that do are not, and results do not change', async () => {
  const cache = createRulesetCache(async (u) => defaultRuleset(u), fakeNotices());
  const a = await cache.get('@a:example.org' as UserId);
  const b = await cache.get('@b:example.org' as UserId);
  const rule = (r: PushRuleset, id: string) => [...r.override, ...r.underride].find((x) => x.rule_id === id);
  assert.equal(rule(a, '.m.rule.member_event'), rule(b, '.m.rule.member_event'));
  assert.notEqual(rule(a, '.m.rule.is_user_mention'), rule(b, '.m.rule.is_user_mention'));
  const matcher = new PushMatcherCache();
  const event = { type: 'm.room.message', sender: '@c:example.org', room_id: '!r:example.org', content: { body: 'hi', 'm.mentions': { user_ids: ['@b:example.org'] } } };
  const ctx = (userId: string) => ({ userId, displayName: null, roomMemberCount: 3, senderPowerLevel: 0, notificationPowerLevels: { room: 50 }, cache: matcher });
  assert.equal(evaluatePushRules(a, event, ctx('@a:example.org'))?.ruleId, '.m.rule.message');
  assert.equal(evaluatePushRules(b, event, ctx('@b:example.org'))?.ruleId, '.m.rule.is_user_mention');
  cache.close();
});

test("a change to a user's rules drops that user's entry", async () => {
  const notices = fakeNotices();
  let loads = 0;
  const cache = createRulesetCache(async (u) => {
    loads++;
    return defaultRuleset(u);
  }, notices);
  await cache.get('@a:example.org' as UserId);
  await cache.get('@a:example.org' as UserId);
  notices.publish({ stream: 'push_rules', position: 1, userIds: ['@a:example.org'] });
  await cache.get('@a:example.org' as UserId);
  assert.equal(loads, 2);
  cache.close();
});
