import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { protectedContentKeys, redactEvent } from '../../src/protocol/redaction.js';
import { roomVersion, type RedactionRules } from '../../src/protocol/room-versions.js';

// One representative room version per rule set.
const VERSIONS: Record<RedactionRules, string> = { v1: '1', v6: '6', v8: '8', v9: '9', v11: '11' };
const ALL_RULES = Object.keys(VERSIONS) as RedactionRules[];

function base(type: string, content: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    event_id: '$e:x.org',
    type,
    room_id: '!r:x.org',
    sender: '@u:x.org',
    state_key: '',
    content,
    hashes: { sha256: 'h' },
    signatures: { 'x.org': { 'ed25519:1': 's' } },
    depth: 5,
    prev_events: ['$p'],
    prev_state: [],
    auth_events: ['$a'],
    origin: 'x.org',
    origin_server_ts: 10,
    membership: 'join',
    unsigned: { age: 1 },
    age_ts: 7,
    custom_top: true,
    redacts: '$target',
    ...extra,
  };
}

function contentAfter(rules: RedactionRules, type: string, content: Record<string, unknown>) {
  return redactEvent(roomVersion(VERSIONS[rules]), base(type, content)).content;
}

describe('redaction: top-level keys', () => {
  const common = [
    'auth_events',
    'content',
    'depth',
    'event_id',
    'hashes',
    'origin_server_ts',
    'prev_events',
    'room_id',
    'sender',
    'signatures',
    'state_key',
    'type',
  ];
  for (const rules of ['v1', 'v6', 'v8', 'v9'] as const) {
    test(`${rules} keeps origin, membership and prev_state and drops everything else unlisted`, () => {
      const out = redactEvent(roomVersion(VERSIONS[rules]), base('m.room.message', { body: 'x' }));
      assert.deepEqual(Object.keys(out).sort(), [...common, 'membership', 'origin', 'prev_state'].sort());
    });
  }

  test('v11 no longer keeps origin, membership or prev_state', () => {
    const out = redactEvent(roomVersion('11'), base('m.room.message', { body: 'x' }));
    assert.deepEqual(Object.keys(out).sort(), common);
  });

  test('v12 uses the v11 rules', () => {
    const ev = base('m.room.create', { room_version: '12', extra: 1 });
    assert.deepEqual(redactEvent(roomVersion('12'), ev), redactEvent(roomVersion('11'), ev));
  });

  for (const rules of ALL_RULES) {
    test(`${rules} drops unsigned, age_ts, unknown keys and the top-level redacts`, () => {
      const out = redactEvent(roomVersion(VERSIONS[rules]), base('m.room.redaction', {}));
      for (const k of ['unsigned', 'age_ts', 'custom_top', 'redacts']) assert.equal(k in out, false, k);
    });
  }

  test('keeps unsigned only when asked to', () => {
    const out = redactEvent(roomVersion('11'), base('m.room.message', {}), { keepUnsigned: true });
    assert.deepEqual(out.unsigned, { age: 1 });
  });

  test('always yields a content object, even when the event had none or a malformed one', () => {
    const { content: _c, ...noContent } = base('m.room.message', {});
    assert.deepEqual(redactEvent(roomVersion('1'), noContent).content, {});
    assert.deepEqual(redactEvent(roomVersion('11'), { ...noContent, content: ['x'] }).content, {});
  });

  test('does not modify its input', () => {
    const ev = base('m.room.member', { membership: 'join', displayname: 'U' });
    const copy = structuredClone(ev);
    redactEvent(roomVersion('11'), ev);
    assert.deepEqual(ev, copy);
  });
});

describe('redaction: content by event type', () => {
  // [event type, content, expected content per rule set]
  const cases: Array<[string, string, Record<string, unknown>, Record<RedactionRules, Record<string, unknown>>]> = [
    [
      'm.room.member keeps membership; v9+ also join_authorised_via_users_server',
      'm.room.member',
      { membership: 'join', displayname: 'Alice', avatar_url: 'mxc://a/b', join_authorised_via_users_server: '@v:x.org' },
      {
        v1: { membership: 'join' },
        v6: { membership: 'join' },
        v8: { membership: 'join' },
        v9: { membership: 'join', join_authorised_via_users_server: '@v:x.org' },
        v11: { membership: 'join', join_authorised_via_users_server: '@v:x.org' },
      },
    ],
    [
      'm.room.member keeps only third_party_invite.signed from v11',
      'm.room.member',
      { membership: 'invite', third_party_invite: { display_name: 'x', signed: { mxid: '@a:b', token: 't' } } },
      {
        v1: { membership: 'invite' },
        v6: { membership: 'invite' },
        v8: { membership: 'invite' },
        v9: { membership: 'invite' },
        v11: { membership: 'invite', third_party_invite: { signed: { mxid: '@a:b', token: 't' } } },
      },
    ],
    [
      'm.room.create keeps creator; v11 keeps all content',
      'm.room.create',
      { creator: '@u:x.org', room_version: '1', 'm.federate': false, predecessor: { room_id: '!o:x.org' } },
      {
        v1: { creator: '@u:x.org' },
        v6: { creator: '@u:x.org' },
        v8: { creator: '@u:x.org' },
        v9: { creator: '@u:x.org' },
        v11: { creator: '@u:x.org', room_version: '1', 'm.federate': false, predecessor: { room_id: '!o:x.org' } },
      },
    ],
    [
      'm.room.join_rules keeps join_rule; v8+ also allow',
      'm.room.join_rules',
      { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!s:x.org' }], other: 1 },
      {
        v1: { join_rule: 'restricted' },
        v6: { join_rule: 'restricted' },
        v8: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!s:x.org' }] },
        v9: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!s:x.org' }] },
        v11: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!s:x.org' }] },
      },
    ],
    [
      'm.room.power_levels keeps the auth-relevant keys; v11 adds invite',
      'm.room.power_levels',
      {
        ban: 50,
        events: { 'm.room.name': 50 },
        events_default: 0,
        invite: 0,
        kick: 50,
        redact: 50,
        state_default: 50,
        users: { '@u:x.org': 100 },
        users_default: 0,
        notifications: { room: 50 },
      },
      (() => {
        const kept = {
          ban: 50,
          events: { 'm.room.name': 50 },
          events_default: 0,
          kick: 50,
          redact: 50,
          state_default: 50,
          users: { '@u:x.org': 100 },
          users_default: 0,
        };
        return { v1: kept, v6: kept, v8: kept, v9: kept, v11: { ...kept, invite: 0 } };
      })(),
    ],
    [
      'm.room.history_visibility keeps history_visibility',
      'm.room.history_visibility',
      { history_visibility: 'joined', extra: 'x' },
      {
        v1: { history_visibility: 'joined' },
        v6: { history_visibility: 'joined' },
        v8: { history_visibility: 'joined' },
        v9: { history_visibility: 'joined' },
        v11: { history_visibility: 'joined' },
      },
    ],
    [
      'm.room.aliases keeps aliases only before v6',
      'm.room.aliases',
      { aliases: ['#a:x.org'] },
      { v1: { aliases: ['#a:x.org'] }, v6: {}, v8: {}, v9: {}, v11: {} },
    ],
    [
      'm.room.redaction keeps content.redacts from v11',
      'm.room.redaction',
      { redacts: '$t', reason: 'spam' },
      { v1: {}, v6: {}, v8: {}, v9: {}, v11: { redacts: '$t' } },
    ],
    [
      'other events lose all content',
      'm.room.message',
      { body: 'hello', msgtype: 'm.text', membership: 'join' },
      { v1: {}, v6: {}, v8: {}, v9: {}, v11: {} },
    ],
    [
      'm.room.name loses its name',
      'm.room.name',
      { name: 'Room' },
      { v1: {}, v6: {}, v8: {}, v9: {}, v11: {} },
    ],
  ];

  for (const [title, type, content, expected] of cases) {
    for (const rules of ALL_RULES) {
      test(`${title} [${rules}]`, () => {
        assert.deepEqual(contentAfter(rules, type, content), expected[rules]);
      });
    }
  }

  test('a third_party_invite without signed is dropped entirely in v11', () => {
    assert.deepEqual(contentAfter('v11', 'm.room.member', { membership: 'invite', third_party_invite: { display_name: 'x' } }), {
      membership: 'invite',
    });
  });

  test('keys missing from the original stay missing', () => {
    assert.deepEqual(contentAfter('v11', 'm.room.power_levels', { ban: 50 }), { ban: 50 });
  });

  test('protectedContentKeys exposes the table', () => {
    assert.equal(protectedContentKeys(roomVersion('11'), 'm.room.create'), 'all');
    assert.deepEqual(protectedContentKeys(roomVersion('1'), 'm.room.aliases'), ['aliases']);
    assert.deepEqual(protectedContentKeys(roomVersion('6'), 'm.room.aliases'), []);
  });
});

describe('redaction: rule set per room version', () => {
  const expected: Record<string, RedactionRules> = {
    '1': 'v1', '2': 'v1', '3': 'v1', '4': 'v1', '5': 'v1', '6': 'v6', '7': 'v6',
    '8': 'v8', '9': 'v9', '10': 'v9', '11': 'v11', '12': 'v11',
  };
  for (const [id, rules] of Object.entries(expected)) {
    test(`room version ${id} redacts with the ${rules} rules`, () => assert.equal(roomVersion(id).redaction, rules));
  }
});
