import { describe } from 'node:test';
import type { RoomVersion } from '../../../src/protocol/room-versions.js';
import type { JsonObject } from '../../../src/types/json.js';
import { ALICE, ALL_FAMILIES, BOB, CAROL, DAVE, before, Room, runCases, since, standardRoom, type AuthCase } from './fixtures.js';

const member = (room: Room, sender: string, target: string, membership: string, extra: JsonObject = {}) =>
  room.check(room.event({ type: 'm.room.member', sender, state_key: target, content: { membership, ...extra } }));

/** standardRoom with the given join rule (and optional extra join-rules content). */
function roomWithRule(v: RoomVersion, rule: string, extra: JsonObject = {}): Room {
  const room = standardRoom(v);
  room.joinRules(rule, extra);
  return room;
}

const restrictedAllow = { allow: [{ type: 'm.room_membership', room_id: '!space:a.example' }] };

const joinCases: AuthCase[] = [
  {
    rule: "the creator's join right after the create event",
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => member(new Room(v), ALICE, ALICE, 'join'),
  },
  {
    rule: 'a first join by someone who is not the creator',
    families: ALL_FAMILIES,
    expect: /join rule/,
    run: (v) => member(new Room(v), BOB, BOB, 'join'),
  },
  {
    rule: 'the first join by content.creator when the create sender differs',
    families: before('11'),
    expect: true,
    run: (v) => member(new Room(v, { content: { creator: DAVE } }), DAVE, DAVE, 'join'),
  },
  {
    rule: 'the first join by content.creator when the create sender differs (creator key is ignored)',
    families: since('11'),
    expect: /join rule/,
    run: (v) => member(new Room(v, { content: { creator: DAVE } }), DAVE, DAVE, 'join'),
  },
  {
    rule: 'the first join by the create sender when content.creator names someone else',
    families: since('11'),
    expect: true,
    run: (v) => member(new Room(v, { content: { creator: DAVE } }), ALICE, ALICE, 'join'),
  },
  {
    rule: 'a join whose sender is not the state_key',
    families: ALL_FAMILIES,
    expect: /sender does not match state_key/,
    run: (v) => member(roomWithRule(v, 'public'), BOB, CAROL, 'join'),
  },
  {
    rule: 'a join by a banned user in a public room',
    families: ALL_FAMILIES,
    expect: /banned/,
    run: (v) => {
      const room = roomWithRule(v, 'public');
      room.member(CAROL, 'ban', ALICE);
      return member(room, CAROL, CAROL, 'join');
    },
  },
  {
    rule: 'a join to a public room',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => member(roomWithRule(v, 'public'), CAROL, CAROL, 'join'),
  },
  {
    rule: 'an invited user joining an invite-only room',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      room.member(CAROL, 'invite', BOB);
      return member(room, CAROL, CAROL, 'join');
    },
  },
  {
    rule: 'an uninvited user joining an invite-only room',
    families: ALL_FAMILIES,
    expect: /neither invited nor joined/,
    run: (v) => member(standardRoom(v), CAROL, CAROL, 'join'),
  },
  {
    rule: 'an invited user joining a room without m.room.join_rules (treated as invite)',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      room.state.delete('m.room.join_rules\u0000');
      room.member(CAROL, 'invite', BOB);
      return member(room, CAROL, CAROL, 'join');
    },
  },
  {
    rule: 'an invited user joining a knock room',
    families: since('7'),
    expect: true,
    run: (v) => {
      const room = roomWithRule(v, 'knock');
      room.member(CAROL, 'invite', BOB);
      return member(room, CAROL, CAROL, 'join');
    },
  },
  {
    rule: 'an invited user joining a room whose join rule is knock (unknown before knocking)',
    families: before('7'),
    expect: /join rule knock/,
    run: (v) => {
      const room = roomWithRule(v, 'knock');
      room.member(CAROL, 'invite', BOB);
      return member(room, CAROL, CAROL, 'join');
    },
  },
  {
    rule: 'a restricted join authorised by a joined user with the invite level',
    families: since('8'),
    expect: true,
    run: (v) => member(roomWithRule(v, 'restricted', restrictedAllow), CAROL, CAROL, 'join', { join_authorised_via_users_server: BOB }),
  },
  {
    rule: 'a restricted join (the join rule is unknown before restricted rooms)',
    families: before('8'),
    expect: /join rule restricted/,
    run: (v) => member(roomWithRule(v, 'restricted', restrictedAllow), CAROL, CAROL, 'join', { join_authorised_via_users_server: BOB }),
  },
  {
    rule: 'a restricted join without join_authorised_via_users_server',
    families: since('8'),
    expect: /requires join_authorised_via_users_server/,
    run: (v) => member(roomWithRule(v, 'restricted', restrictedAllow), CAROL, CAROL, 'join'),
  },
  {
    rule: 'a restricted join authorised by a user who is not joined',
    families: since('8'),
    expect: /not joined/,
    run: (v) => member(roomWithRule(v, 'restricted', restrictedAllow), CAROL, CAROL, 'join', { join_authorised_via_users_server: DAVE }),
  },
  {
    rule: 'a restricted join authorised by a joined user below the invite level',
    families: since('8'),
    expect: /lacks the invite level/,
    run: (v) => {
      const room = roomWithRule(v, 'restricted', restrictedAllow);
      const pl = room.state.get('m.room.power_levels\u0000')!.pdu.content;
      room.powerLevels({ ...pl, invite: 60 });
      return member(room, CAROL, CAROL, 'join', { join_authorised_via_users_server: BOB });
    },
  },
  {
    rule: 'an invited user joining a restricted room without an authoriser',
    families: since('8'),
    expect: true,
    run: (v) => {
      const room = roomWithRule(v, 'restricted', restrictedAllow);
      room.member(CAROL, 'invite', BOB);
      return member(room, CAROL, CAROL, 'join');
    },
  },
  {
    rule: 'a knock_restricted join authorised by a joined user',
    families: since('10'),
    expect: true,
    run: (v) => member(roomWithRule(v, 'knock_restricted', restrictedAllow), CAROL, CAROL, 'join', { join_authorised_via_users_server: BOB }),
  },
  {
    rule: 'a knock_restricted join before the join rule existed',
    families: ['8'],
    expect: /join rule knock_restricted/,
    run: (v) => member(roomWithRule(v, 'knock_restricted', restrictedAllow), CAROL, CAROL, 'join', { join_authorised_via_users_server: BOB }),
  },
  {
    rule: 'a join to a private room',
    families: ALL_FAMILIES,
    expect: /join rule private/,
    run: (v) => member(roomWithRule(v, 'private'), CAROL, CAROL, 'join'),
  },
];

const inviteCases: AuthCase[] = [
  { rule: 'an invite by a joined member with the invite level', families: ALL_FAMILIES, expect: true, run: (v) => member(standardRoom(v), BOB, CAROL, 'invite') },
  {
    rule: 'an invite by a sender who is not joined',
    families: ALL_FAMILIES,
    expect: /sender is not joined/,
    run: (v) => member(standardRoom(v), DAVE, CAROL, 'invite'),
  },
  {
    rule: 'an invite of a user who is already joined',
    families: ALL_FAMILIES,
    expect: /already joined/,
    run: (v) => member(standardRoom(v), BOB, ALICE, 'invite'),
  },
  {
    rule: 'an invite of a banned user',
    families: ALL_FAMILIES,
    expect: /already banned/,
    run: (v) => {
      const room = standardRoom(v);
      room.member(CAROL, 'ban', ALICE);
      return member(room, BOB, CAROL, 'invite');
    },
  },
  {
    rule: 'an invite by a member below the invite level',
    families: ALL_FAMILIES,
    expect: /below the invite level/,
    run: (v) => {
      const room = standardRoom(v);
      const pl = room.state.get('m.room.power_levels\u0000')!.pdu.content;
      room.powerLevels({ ...pl, invite: 75 });
      return member(room, BOB, CAROL, 'invite');
    },
  },
];

const leaveCases: AuthCase[] = [
  { rule: 'a joined user leaving', families: ALL_FAMILIES, expect: true, run: (v) => member(standardRoom(v), BOB, BOB, 'leave') },
  {
    rule: 'an invited user rejecting the invite',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      room.member(CAROL, 'invite', BOB);
      return member(room, CAROL, CAROL, 'leave');
    },
  },
  {
    rule: 'a user leaving a room they are not in',
    families: ALL_FAMILIES,
    expect: /cannot leave from membership leave/,
    run: (v) => member(standardRoom(v), CAROL, CAROL, 'leave'),
  },
  {
    rule: 'a knocking user retracting the knock',
    families: since('7'),
    expect: true,
    run: (v) => {
      const room = roomWithRule(v, 'knock');
      room.member(CAROL, 'knock');
      return member(room, CAROL, CAROL, 'leave');
    },
  },
  {
    rule: 'a leave from knock membership before knocking existed',
    families: before('7'),
    expect: /cannot leave from membership knock/,
    run: (v) => {
      const room = standardRoom(v);
      room.member(CAROL, 'knock');
      return member(room, CAROL, CAROL, 'leave');
    },
  },
  {
    rule: 'a kick by a moderator of a lower user',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      room.member(CAROL, 'join');
      return member(room, BOB, CAROL, 'leave');
    },
  },
  {
    rule: 'a kick of a higher user',
    families: ALL_FAMILIES,
    expect: /kick level/,
    run: (v) => member(standardRoom(v), BOB, ALICE, 'leave'),
  },
  {
    rule: 'a kick by a sender who is not joined',
    families: ALL_FAMILIES,
    expect: /sender is not joined/,
    run: (v) => member(standardRoom(v), DAVE, BOB, 'leave'),
  },
  {
    rule: 'an unban by a sender below the ban level',
    families: ALL_FAMILIES,
    expect: /unbanning requires the ban level/,
    run: (v) => {
      const room = standardRoom(v);
      const pl = room.state.get('m.room.power_levels\u0000')!.pdu.content;
      room.powerLevels({ ...pl, ban: 60, kick: 50 });
      room.member(CAROL, 'ban', ALICE);
      return member(room, BOB, CAROL, 'leave');
    },
  },
  {
    rule: 'an unban by a sender with the ban and kick levels',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      room.member(CAROL, 'ban', ALICE);
      return member(room, BOB, CAROL, 'leave');
    },
  },
];

const banCases: AuthCase[] = [
  { rule: 'a ban by a moderator of a lower user', families: ALL_FAMILIES, expect: true, run: (v) => member(standardRoom(v), BOB, CAROL, 'ban') },
  { rule: 'a ban of a higher user', families: ALL_FAMILIES, expect: /ban level/, run: (v) => member(standardRoom(v), BOB, ALICE, 'ban') },
  {
    rule: 'a ban by a sender below the ban level',
    families: ALL_FAMILIES,
    expect: /ban level/,
    run: (v) => {
      const room = standardRoom(v);
      room.member(CAROL, 'join');
      return member(room, CAROL, DAVE, 'ban');
    },
  },
  {
    rule: 'a ban by a sender who is not joined',
    families: ALL_FAMILIES,
    expect: /sender is not joined/,
    run: (v) => {
      const room = standardRoom(v);
      room.member(BOB, 'leave');
      return member(room, BOB, CAROL, 'ban');
    },
  },
  {
    rule: 'a creator banning a user listed at 100 (creators have infinite power)',
    families: ['12'],
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      room.powerLevels({ users: { [BOB]: 100 } });
      return member(room, ALICE, BOB, 'ban');
    },
  },
  {
    rule: 'a user at 100 banning a creator (creators have infinite power)',
    families: ['12'],
    expect: /ban level/,
    run: (v) => {
      const room = standardRoom(v);
      room.powerLevels({ users: { [BOB]: 100 } });
      return member(room, BOB, ALICE, 'ban');
    },
  },
  {
    rule: 'a user at 100 banning another additional creator',
    families: ['12'],
    expect: /ban level/,
    run: (v) => {
      const room = standardRoom(v, { content: { additional_creators: [DAVE] } });
      room.member(DAVE, 'join');
      room.powerLevels({ users: { [BOB]: 100 } });
      return member(room, BOB, DAVE, 'ban');
    },
  },
];

const knockCases: AuthCase[] = [
  { rule: 'a knock on a knock room', families: since('7'), expect: true, run: (v) => member(roomWithRule(v, 'knock'), CAROL, CAROL, 'knock') },
  {
    rule: 'a knock (unknown membership before knocking)',
    families: before('7'),
    expect: /unknown membership knock/,
    run: (v) => member(roomWithRule(v, 'knock'), CAROL, CAROL, 'knock'),
  },
  {
    rule: 'a knock on an invite-only room',
    families: since('7'),
    expect: /does not allow knocking/,
    run: (v) => member(standardRoom(v), CAROL, CAROL, 'knock'),
  },
  {
    rule: 'a knock on behalf of someone else',
    families: since('7'),
    expect: /sender does not match state_key/,
    run: (v) => member(roomWithRule(v, 'knock'), BOB, CAROL, 'knock'),
  },
  {
    rule: 'a knock by a user who is already invited',
    families: since('7'),
    expect: /already invited/,
    run: (v) => {
      const room = roomWithRule(v, 'knock');
      room.member(CAROL, 'invite', BOB);
      return member(room, CAROL, CAROL, 'knock');
    },
  },
  {
    rule: 'a knock by a banned user',
    families: since('7'),
    expect: /already banned/,
    run: (v) => {
      const room = roomWithRule(v, 'knock');
      room.member(CAROL, 'ban', ALICE);
      return member(room, CAROL, CAROL, 'knock');
    },
  },
  {
    rule: 'a knock on a knock_restricted room',
    families: since('10'),
    expect: true,
    run: (v) => member(roomWithRule(v, 'knock_restricted', restrictedAllow), CAROL, CAROL, 'knock'),
  },
  {
    rule: 'a knock on a knock_restricted room before that join rule existed',
    families: ['7', '8'],
    expect: /does not allow knocking/,
    run: (v) => member(roomWithRule(v, 'knock_restricted', restrictedAllow), CAROL, CAROL, 'knock'),
  },
];

const malformedCases: AuthCase[] = [
  {
    rule: 'a member event without membership',
    families: ALL_FAMILIES,
    expect: /no content.membership/,
    run: (v) => {
      const room = standardRoom(v);
      return room.check(room.event({ type: 'm.room.member', sender: BOB, state_key: BOB, content: {} }));
    },
  },
  {
    rule: 'a member event without state_key',
    families: ALL_FAMILIES,
    expect: /no state_key/,
    run: (v) => {
      const room = standardRoom(v);
      return room.check(room.event({ type: 'm.room.member', sender: BOB, content: { membership: 'join' } }));
    },
  },
  {
    rule: 'an unknown membership',
    families: ALL_FAMILIES,
    expect: /unknown membership/,
    run: (v) => member(standardRoom(v), BOB, BOB, 'wander'),
  },
];

describe('auth rules: join', () => runCases(joinCases));
describe('auth rules: invite', () => runCases(inviteCases));
describe('auth rules: leave and kick', () => runCases(leaveCases));
describe('auth rules: ban', () => runCases(banCases));
describe('auth rules: knock', () => runCases(knockCases));
describe('auth rules: malformed membership', () => runCases(malformedCases));
