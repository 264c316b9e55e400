import type { UserId } from '../../types/ids.js';
import type { PushAction, PushCondition, PushRule, PushRuleset } from './types.js';

// The server-default ("predefined") rules of Matrix v1.19, in the spec's order. v1.17 removed the legacy
// rules that searched `content.body` for mentions (.m.rule.contains_display_name,
// .m.rule.contains_user_name, .m.rule.roomnotif), so there are no default content rules any more;
// mentions arrive through `m.mentions` (.m.rule.is_user_mention / .m.rule.is_room_mention).
//
// Everything is built inside the functions so each call returns fresh objects that callers may mutate
// (merging user overrides, serving over the API) without touching another user's copy.

function rule(ruleId: string, conditions: PushCondition[], actions: PushAction[], enabled = true): PushRule {
  return { rule_id: ruleId, default: true, enabled, conditions, actions };
}

function typeIs(eventType: string): PushCondition {
  return { kind: 'event_match', key: 'type', pattern: eventType };
}

const emptyStateKey = (): PushCondition => ({ kind: 'event_match', key: 'state_key', pattern: '' });
const soundDefault = (): PushAction => ({ set_tweak: 'sound', value: 'default' });
const highlight = (): PushAction => ({ set_tweak: 'highlight' });
const oneToOne = (): PushCondition => ({ kind: 'room_member_count', is: '2' });

export function defaultOverrideRules(userId: UserId): PushRule[] {
  return [
    // Disabled by default: enabling it silences everything (it outranks even user rules, see merge.ts).
    rule('.m.rule.master', [], [], false),
    rule('.m.rule.suppress_notices', [{ kind: 'event_match', key: 'content.msgtype', pattern: 'm.notice' }], []),
    rule(
      '.m.rule.invite_for_me',
      [
        typeIs('m.room.member'),
        { kind: 'event_match', key: 'content.membership', pattern: 'invite' },
        // Push rules exist only for local users, whose ids follow the current grammar (no `*` or `?`),
        // so the id is a glob that matches only itself.
        { kind: 'event_match', key: 'state_key', pattern: userId },
      ],
      ['notify', soundDefault()],
    ),
    rule('.m.rule.member_event', [typeIs('m.room.member')], []),
    rule(
      '.m.rule.is_user_mention',
      [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }],
      ['notify', soundDefault(), highlight()],
    ),
    rule(
      '.m.rule.is_room_mention',
      [
        { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
        { kind: 'sender_notification_permission', key: 'room' },
      ],
      ['notify', highlight()],
    ),
    rule('.m.rule.tombstone', [typeIs('m.room.tombstone'), emptyStateKey()], ['notify', highlight()]),
    rule('.m.rule.reaction', [typeIs('m.reaction')], []),
    rule('.m.rule.room.server_acl', [typeIs('m.room.server_acl'), emptyStateKey()], []),
    rule(
      '.m.rule.suppress_edits',
      [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }],
      [],
    ),
  ];
}

export function defaultUnderrideRules(): PushRule[] {
  return [
    rule('.m.rule.call', [typeIs('m.call.invite')], ['notify', { set_tweak: 'sound', value: 'ring' }]),
    rule('.m.rule.encrypted_room_one_to_one', [oneToOne(), typeIs('m.room.encrypted')], ['notify', soundDefault()]),
    rule('.m.rule.room_one_to_one', [oneToOne(), typeIs('m.room.message')], ['notify', soundDefault()]),
    rule('.m.rule.message', [typeIs('m.room.message')], ['notify']),
    rule('.m.rule.encrypted', [typeIs('m.room.encrypted')], ['notify']),
  ];
}

/**
 * The complete server-default ruleset for one user. `localpart` is accepted for callers written against
 * older spec versions (where .m.rule.contains_user_name used it) but v1.19 defines no rule that needs it.
 */
export function defaultRuleset(userId: UserId, _localpart?: string): PushRuleset {
  return {
    override: defaultOverrideRules(userId),
    content: [],
    room: [],
    sender: [],
    underride: defaultUnderrideRules(),
  };
}
