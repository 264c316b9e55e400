import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionMatches, type PushConditionContext, type PushEvent } from '../../../src/protocol/push/conditions.js';
import { PushMatcherCache } from '../../../src/protocol/push/glob.js';
import type { PushCondition } from '../../../src/protocol/push/types.js';

const baseCtx: PushConditionContext = {
  userId: '@alice:example.org',
  displayName: 'Alice Smith',
  roomMemberCount: 5,
  senderPowerLevel: 0,
  notificationPowerLevels: {},
};

interface Case {
  name: string;
  cond: PushCondition | Record<string, unknown>;
  event: PushEvent;
  ctx?: Partial<PushConditionContext>;
  expected: boolean;
}

function run(cases: Case[]): void {
  for (const c of cases) {
    test(`${c.expected ? 'matches' : 'does not match'}: ${c.name}`, () => {
      const ctx = { ...baseCtx, ...c.ctx };
      assert.equal(conditionMatches(c.cond as PushCondition, c.event, ctx, new PushMatcherCache()), c.expected);
    });
  }
}

const topic = (value: unknown): PushEvent => ({ type: 'm.room.topic', state_key: '', content: { topic: value } });
const body = (value: unknown): PushEvent => ({ type: 'm.room.message', content: { msgtype: 'm.text', body: value } });

describe('event_match', () => {
  const lunch = { kind: 'event_match', key: 'content.topic', pattern: 'lunc?*' };
  run([
    { name: 'the spec topic example', cond: lunch, event: topic('Lunch plans'), expected: true },
    { name: 'case-insensitively', cond: lunch, event: topic('LUNCH'), expected: true },
    { name: 'a leading space (whole-value match)', cond: lunch, event: topic(' lunch'), expected: false },
    { name: '? needing a character', cond: lunch, event: topic('lunc'), expected: false },
    { name: 'a null value', cond: lunch, event: topic(null), expected: false },
    { name: 'a non-string value, even with *', cond: { kind: 'event_match', key: 'content.topic', pattern: '*' }, event: topic(5), expected: false },
    { name: 'an absent property, even with *', cond: { kind: 'event_match', key: 'content.nope', pattern: '*' }, event: topic('x'), expected: false },
    { name: 'an object value', cond: { kind: 'event_match', key: 'content', pattern: '*' }, event: topic('x'), expected: false },
    { name: 'a top-level key', cond: { kind: 'event_match', key: 'type', pattern: 'm.room.topic' }, event: topic('x'), expected: true },
    { name: 'a substring of a non-body value', cond: { kind: 'event_match', key: 'type', pattern: 'room' }, event: topic('x'), expected: false },
    { name: 'content.body at word boundaries', cond: { kind: 'event_match', key: 'content.body', pattern: 'ex*ple' }, event: body('An example event.'), expected: true },
    { name: 'content.body inside a word', cond: { kind: 'event_match', key: 'content.body', pattern: 'ample' }, event: body('An example event.'), expected: false },
    { name: 'an escaped dotted key', cond: { kind: 'event_match', key: 'content.m\\.relates_to.rel_type', pattern: 'm.thread' }, event: { content: { 'm.relates_to': { rel_type: 'm.thread' } } }, expected: true },
    { name: 'an unescaped dotted key', cond: { kind: 'event_match', key: 'content.m.relates_to.rel_type', pattern: 'm.thread' }, event: { content: { 'm.relates_to': { rel_type: 'm.thread' } } }, expected: false },
    { name: 'a missing pattern', cond: { kind: 'event_match', key: 'type' }, event: topic('x'), expected: false },
    { name: 'a missing key', cond: { kind: 'event_match', pattern: '*' }, event: topic('x'), expected: false },
    { name: 'a non-string pattern', cond: { kind: 'event_match', key: 'type', pattern: 5 }, event: topic('x'), expected: false },
  ]);
});

describe('event_property_is', () => {
  const create = (federate: unknown): PushEvent => ({ type: 'm.room.create', state_key: '', content: { 'm.federate': federate, n: 3, f: 1.5, nil: null } });
  const federate = { kind: 'event_property_is', key: 'content.m\\.federate', value: true };
  run([
    { name: 'the spec m.federate example', cond: federate, event: create(true), expected: true },
    { name: 'a string "true"', cond: federate, event: create('true'), expected: false },
    { name: 'the number 1 (no casting)', cond: federate, event: create(1), expected: false },
    { name: 'false against true', cond: federate, event: create(false), expected: false },
    { name: 'an absent property', cond: { kind: 'event_property_is', key: 'content.nope', value: null }, event: create(true), expected: false },
    { name: 'null against null', cond: { kind: 'event_property_is', key: 'content.nil', value: null }, event: create(true), expected: true },
    { name: 'an integer', cond: { kind: 'event_property_is', key: 'content.n', value: 3 }, event: create(true), expected: true },
    { name: 'a float property', cond: { kind: 'event_property_is', key: 'content.f', value: 1.5 }, event: create(true), expected: false },
    { name: 'a string exactly, case-sensitively', cond: { kind: 'event_property_is', key: 'type', value: 'm.room.create' }, event: create(true), expected: true },
    { name: 'a string differing in case', cond: { kind: 'event_property_is', key: 'type', value: 'M.ROOM.CREATE' }, event: create(true), expected: false },
    { name: 'a compound property', cond: { kind: 'event_property_is', key: 'content', value: null }, event: create(true), expected: false },
    { name: 'a condition without value', cond: { kind: 'event_property_is', key: 'content.nope' }, event: create(true), expected: false },
  ]);
});

describe('event_property_contains', () => {
  const aliases = (list: unknown): PushEvent => ({ type: 'm.room.canonical_alias', state_key: '', content: { alt_aliases: list } });
  const myroom = { kind: 'event_property_contains', key: 'content.alt_aliases', value: '#myroom:example.com' };
  run([
    { name: 'the spec alt_aliases example', cond: myroom, event: aliases(['#somewhere:example.org', '#myroom:example.com']), expected: true },
    { name: 'a partial value', cond: { ...myroom, value: ':example.com' }, event: aliases(['#myroom:example.com']), expected: false },
    { name: 'a non-array property', cond: myroom, event: aliases('#myroom:example.com'), expected: false },
    { name: 'an absent property', cond: myroom, event: { content: {} }, expected: false },
    { name: 'an empty array', cond: myroom, event: aliases([]), expected: false },
    { name: 'an integer element', cond: { ...myroom, value: 2 }, event: aliases([1, 2]), expected: true },
    { name: 'a number against its string', cond: { ...myroom, value: '2' }, event: aliases([1, 2]), expected: false },
    { name: 'compound elements are ignored', cond: { ...myroom, value: null }, event: aliases([[null], { a: null }]), expected: false },
    { name: 'a null element', cond: { ...myroom, value: null }, event: aliases([null]), expected: true },
  ]);
});

describe('contains_display_name', () => {
  const cond = { kind: 'contains_display_name' };
  run([
    { name: 'the name in the body', cond, event: body('hey Alice Smith, lunch?'), expected: true },
    { name: 'the name in another case', cond, event: body('ALICE SMITH!'), expected: true },
    { name: 'the name inside a longer word', cond, event: body('hey Alice Smithson'), expected: false },
    { name: 'a body without the name', cond, event: body('hello bob'), expected: false },
    { name: 'no display name', cond, event: body('Alice Smith'), ctx: { displayName: null }, expected: false },
    { name: 'an empty display name', cond, event: body('anything'), ctx: { displayName: '' }, expected: false },
    { name: 'a display name with glob characters, taken literally', cond, event: body('ping a*b now'), ctx: { displayName: 'a*b' }, expected: true },
    { name: 'a glob-like display name against other text', cond, event: body('ping axxb now'), ctx: { displayName: 'a*b' }, expected: false },
    { name: 'a non-string body', cond, event: body(['Alice Smith']), expected: false },
  ]);
});

describe('room_member_count', () => {
  const is = (v: unknown): Record<string, unknown> => ({ kind: 'room_member_count', is: v });
  const ev = body('x');
  run([
    { name: 'a bare number equal to the count', cond: is('5'), event: ev, expected: true },
    { name: 'a bare number different from the count', cond: is('2'), event: ev, expected: false },
    { name: '==5', cond: is('==5'), event: ev, expected: true },
    { name: '==4', cond: is('==4'), event: ev, expected: false },
    { name: '<6', cond: is('<6'), event: ev, expected: true },
    { name: '<5', cond: is('<5'), event: ev, expected: false },
    { name: '>4', cond: is('>4'), event: ev, expected: true },
    { name: '>5', cond: is('>5'), event: ev, expected: false },
    { name: '<=5', cond: is('<=5'), event: ev, expected: true },
    { name: '<=4', cond: is('<=4'), event: ev, expected: false },
    { name: '>=5', cond: is('>=5'), event: ev, expected: true },
    { name: '>=6', cond: is('>=6'), event: ev, expected: false },
    { name: 'a malformed operator', cond: is('=5'), event: ev, expected: false },
    { name: 'a non-number', cond: is('five'), event: ev, expected: false },
    { name: 'an integer instead of a string', cond: is(5), event: ev, expected: false },
    { name: 'a missing is', cond: { kind: 'room_member_count' }, event: ev, expected: false },
  ]);
});

describe('sender_notification_permission', () => {
  const cond = { kind: 'sender_notification_permission', key: 'room' };
  const ev = body('@room');
  run([
    { name: 'a sender at the default level of 50', cond, event: ev, ctx: { senderPowerLevel: 50 }, expected: true },
    { name: 'a sender below the default level of 50', cond, event: ev, ctx: { senderPowerLevel: 49 }, expected: false },
    { name: 'a sender meeting a configured level', cond, event: ev, ctx: { senderPowerLevel: 10, notificationPowerLevels: { room: 10 } }, expected: true },
    { name: 'a sender below a configured level', cond, event: ev, ctx: { senderPowerLevel: 50, notificationPowerLevels: { room: 100 } }, expected: false },
    { name: 'without notification levels at all, a moderator', cond, event: ev, ctx: { senderPowerLevel: 50, notificationPowerLevels: undefined }, expected: true },
    { name: 'another key falling back to 50', cond: { ...cond, key: 'custom' }, event: ev, ctx: { senderPowerLevel: 49 }, expected: false },
    { name: 'an inherited key name falling back to 50', cond: { ...cond, key: 'constructor' }, event: ev, ctx: { senderPowerLevel: 0 }, expected: false },
    { name: 'a missing key', cond: { kind: 'sender_notification_permission' }, event: ev, ctx: { senderPowerLevel: 100 }, expected: false },
  ]);
});

describe('unknown condition kinds', () => {
  run([
    { name: 'an unknown kind', cond: { kind: 'org.example.always' }, event: body('x'), expected: false },
    { name: 'a kind from an unmerged proposal', cond: { kind: 'related_event_match', key: 'sender', pattern: '*' }, event: body('x'), expected: false },
  ]);
});
