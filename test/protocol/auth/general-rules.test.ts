import { describe } from 'node:test';
import { ALICE, ALL_FAMILIES, BOB, CAROL, DAVE, before, runCases, since, standardRoom, type AuthCase } from './fixtures.js';

const sendCases: AuthCase[] = [
  {
    rule: 'a message from a joined member',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      return room.check(room.event({ type: 'm.room.message', sender: BOB, content: { body: 'hi' } }));
    },
  },
  {
    rule: 'a message from a user who is not joined',
    families: ALL_FAMILIES,
    expect: /sender is not joined/,
    run: (v) => {
      const room = standardRoom(v);
      room.member(CAROL, 'invite', BOB);
      return room.check(room.event({ type: 'm.room.message', sender: CAROL, content: { body: 'hi' } }));
    },
  },
  {
    rule: 'a state event from a member at its required level',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      return room.check(room.event({ type: 'm.room.name', sender: BOB, state_key: '', content: { name: 'n' } }));
    },
  },
  {
    rule: 'a state event below state_default',
    families: ALL_FAMILIES,
    expect: /below the 50 required for m\.room\.topic/,
    run: (v) => {
      const room = standardRoom(v);
      room.member(CAROL, 'join');
      return room.check(room.event({ type: 'm.room.topic', sender: CAROL, state_key: '', content: { topic: 't' } }));
    },
  },
  {
    rule: 'a message below an events level',
    families: ALL_FAMILIES,
    expect: /below the 10 required for m\.reaction/,
    run: (v) => {
      const room = standardRoom(v);
      const pl = room.state.get('m.room.power_levels\u0000')!.pdu.content;
      room.powerLevels({ ...pl, events: { 'm.reaction': 10 } });
      room.member(CAROL, 'join');
      return room.check(room.event({ type: 'm.reaction', sender: CAROL, content: {} }));
    },
  },
  {
    rule: 'a message below events_default',
    families: ALL_FAMILIES,
    expect: /below the 20 required for m\.room\.message/,
    run: (v) => {
      const room = standardRoom(v);
      const pl = room.state.get('m.room.power_levels\u0000')!.pdu.content;
      room.powerLevels({ ...pl, events_default: 20 });
      room.member(CAROL, 'join');
      return room.check(room.event({ type: 'm.room.message', sender: CAROL, content: {} }));
    },
  },
  {
    rule: 'state from any member while the room has no power levels (state_default is 0)',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      room.state.delete('m.room.power_levels\u0000');
      return room.check(room.event({ type: 'm.room.topic', sender: BOB, state_key: '', content: {} }));
    },
  },
  {
    rule: 'a state_key starting with @ that is the sender',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      return room.check(room.event({ type: 'org.example.profile', sender: BOB, state_key: BOB, content: {} }));
    },
  },
  {
    rule: 'a state_key starting with @ that is not the sender',
    families: ALL_FAMILIES,
    expect: /state_key starts with @/,
    run: (v) => {
      const room = standardRoom(v);
      return room.check(room.event({ type: 'org.example.profile', sender: BOB, state_key: CAROL, content: {} }));
    },
  },
];

const aliasCases: AuthCase[] = [
  {
    rule: "m.room.aliases from a non-member for the sender's own domain",
    families: before('6'),
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      return room.check(room.event({ type: 'm.room.aliases', sender: CAROL, state_key: 'c.example', content: { aliases: [] } }));
    },
  },
  {
    rule: "m.room.aliases for a domain other than the sender's",
    families: before('6'),
    expect: /state_key does not match the sender's domain/,
    run: (v) => {
      const room = standardRoom(v);
      return room.check(room.event({ type: 'm.room.aliases', sender: BOB, state_key: 'c.example', content: { aliases: [] } }));
    },
  },
  {
    rule: 'm.room.aliases without a state_key',
    families: before('6'),
    expect: /aliases: event has no state_key/,
    run: (v) => {
      const room = standardRoom(v);
      return room.check(room.event({ type: 'm.room.aliases', sender: BOB, content: { aliases: [] } }));
    },
  },
  {
    rule: 'm.room.aliases from a non-member (ordinary state event)',
    families: since('6'),
    expect: /sender is not joined/,
    run: (v) => {
      const room = standardRoom(v);
      return room.check(room.event({ type: 'm.room.aliases', sender: CAROL, state_key: 'c.example', content: { aliases: [] } }));
    },
  },
  {
    rule: 'm.room.aliases from a member at state_default',
    families: since('6'),
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      return room.check(room.event({ type: 'm.room.aliases', sender: BOB, state_key: 'anything', content: { aliases: [] } }));
    },
  },
];

const redactionCases: AuthCase[] = [
  {
    rule: 'a redaction by a member with the redact level',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      return room.check(room.event({ type: 'm.room.redaction', sender: BOB, content: {}, redacts: '$victim:c.example' }));
    },
  },
  {
    rule: "a redaction below the redact level of an event from the redacter's own server",
    families: ['1'],
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      room.member(DAVE, 'join');
      return room.check(room.event({ type: 'm.room.redaction', sender: DAVE, content: {}, redacts: '$own:a.example' }));
    },
  },
  {
    rule: 'a redaction below the redact level of an event from another server',
    families: ['1'],
    expect: /redaction: sender lacks the redact level/,
    run: (v) => {
      const room = standardRoom(v);
      room.member(DAVE, 'join');
      return room.check(room.event({ type: 'm.room.redaction', sender: DAVE, content: {}, redacts: '$theirs:b.example' }));
    },
  },
  {
    rule: 'a redaction below the redact level (the redact level is not an auth rule from v3)',
    families: since('3'),
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      room.member(DAVE, 'join');
      return room.check(room.event({ type: 'm.room.redaction', sender: DAVE, content: { redacts: '$theirs' }, redacts: '$theirs' }));
    },
  },
  {
    rule: 'a redaction below an events level for m.room.redaction',
    families: ALL_FAMILIES,
    expect: /required for m\.room\.redaction/,
    run: (v) => {
      const room = standardRoom(v);
      const pl = room.state.get('m.room.power_levels\u0000')!.pdu.content;
      room.powerLevels({ ...pl, events: { 'm.room.redaction': 10 } });
      room.member(DAVE, 'join');
      return room.check(room.event({ type: 'm.room.redaction', sender: DAVE, content: {}, redacts: '$own:a.example' }));
    },
  },
];

// Extra state in the map must not change the answer: only the auth events selection is consulted.
const selectionCases: AuthCase[] = [
  {
    rule: "a join that would only pass if another user's membership were consulted",
    families: since('8'),
    expect: /requires join_authorised_via_users_server/,
    run: (v) => {
      const room = standardRoom(v);
      room.joinRules('restricted', { allow: [] });
      // alice is joined with the invite level, but carol names no authoriser: alice's membership is not in
      // carol's auth selection and must not be used.
      return room.check(room.event({ type: 'm.room.member', sender: CAROL, state_key: CAROL, content: { membership: 'join' } }));
    },
  },
  {
    rule: 'a message when unrelated state is present in the map',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      room.put('m.room.topic', '', ALICE, { topic: 'x' });
      room.member(CAROL, 'ban', ALICE);
      return room.check(room.event({ type: 'm.room.message', sender: BOB, content: {} }));
    },
  },
];

describe('auth rules: sending events and state', () => runCases(sendCases));
describe('auth rules: m.room.aliases', () => runCases(aliasCases));
describe('auth rules: m.room.redaction', () => runCases(redactionCases));
describe('auth rules: only the auth selection is consulted', () => runCases(selectionCases));
