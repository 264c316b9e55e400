import { describe } from 'node:test';
import { checkEventAuth } from '../../../src/protocol/auth/index.js';
import { ALICE, ALL_FAMILIES, BOB, before, createContent, makeEvent, Room, runCases, since, standardRoom, type AuthCase } from './fixtures.js';
import type { RoomVersion } from '../../../src/protocol/room-versions.js';
import type { JsonObject } from '../../../src/types/json.js';

function checkCreate(v: RoomVersion, content: JsonObject, extra: { room_id?: string | null; prev_events?: string[]; sender?: string } = {}) {
  const roomId = v.roomIdFromCreateEvent ? null : '!room:a.example';
  const ev = makeEvent(
    v,
    { type: 'm.room.create', sender: extra.sender ?? ALICE, state_key: '', content, room_id: extra.room_id === undefined ? roomId : extra.room_id, prev_events: extra.prev_events ?? [] },
    undefined,
  );
  return checkEventAuth(v, ev, new Map());
}

const cases: AuthCase[] = [
  { rule: 'a well-formed create event', families: ALL_FAMILIES, expect: true, run: (v) => checkCreate(v, createContent(v)) },
  {
    rule: 'a create event with prev_events',
    families: ALL_FAMILIES,
    expect: /prev_events/,
    run: (v) => checkCreate(v, createContent(v), { prev_events: ['$earlier'] }),
  },
  {
    rule: "a create event whose room_id is not on the sender's domain",
    families: before('12'),
    expect: /room_id domain/,
    run: (v) => checkCreate(v, createContent(v), { sender: BOB }),
  },
  {
    rule: 'a create event carrying a room_id where the room id derives from it',
    families: ['12'],
    expect: /must not carry a room_id/,
    run: (v) => checkCreate(v, createContent(v), { room_id: '!room:a.example' }),
  },
  {
    rule: 'a create event with an unrecognised room_version',
    families: ALL_FAMILIES,
    expect: /unrecognised room_version/,
    run: (v) => checkCreate(v, { ...createContent(v), room_version: 'org.example.unknown' }),
  },
  {
    rule: 'a create event without room_version (defaults to 1)',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => {
      const { room_version: _rv, ...rest } = createContent(v);
      return checkCreate(v, rest);
    },
  },
  {
    rule: 'a create event without content.creator where it is required',
    families: before('11'),
    expect: /no creator/,
    run: (v) => checkCreate(v, createContent(v, { omitCreatorKey: true })),
  },
  {
    rule: 'a create event without content.creator (the sender is the creator)',
    families: since('11'),
    expect: true,
    run: (v) => checkCreate(v, createContent(v, { omitCreatorKey: true })),
  },
  {
    rule: 'additional_creators that are valid user ids',
    families: ['12'],
    expect: true,
    run: (v) => checkCreate(v, { ...createContent(v), additional_creators: [BOB, '@weird local:b.example'] }),
  },
  {
    rule: 'additional_creators holding an invalid user id',
    families: ['12'],
    expect: /additional_creators/,
    run: (v) => checkCreate(v, { ...createContent(v), additional_creators: [BOB, 'not-a-user'] }),
  },
  {
    rule: 'additional_creators that is not an array',
    families: ['12'],
    expect: /additional_creators/,
    run: (v) => checkCreate(v, { ...createContent(v), additional_creators: BOB }),
  },
];

// Rule 2 of v12 and the create-event lookup every other event depends on.
const roomIdCases: AuthCase[] = [
  {
    rule: 'an event whose room_id is derived from the create event',
    families: ['12'],
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      return room.check(room.event({ type: 'm.room.message', sender: BOB, content: { body: 'hi' } }));
    },
  },
  {
    rule: 'an event whose room_id does not match the create event id',
    families: ['12'],
    expect: /not derived from the create event/,
    run: (v) => {
      const room = standardRoom(v);
      return room.check(room.event({ type: 'm.room.message', sender: BOB, content: {}, room_id: '!someotherroom' }));
    },
  },
  {
    rule: 'an event when the auth state has no create event',
    families: ALL_FAMILIES,
    expect: /no m.room.create/,
    run: (v) => {
      const room = standardRoom(v);
      room.state.delete('m.room.create\u0000');
      return room.check(room.event({ type: 'm.room.message', sender: BOB, content: {} }));
    },
  },
  {
    rule: 'an event whose auth state holds an event from another room',
    families: ALL_FAMILIES,
    expect: /belongs to room/,
    run: (v) => {
      const room = standardRoom(v);
      const foreign = makeEvent(v, { type: 'm.room.member', sender: BOB, state_key: BOB, content: { membership: 'join' } }, '!other:b.example');
      room.state.set(`m.room.member\u0000${BOB}`, foreign);
      return room.check(room.event({ type: 'm.room.message', sender: BOB, content: {} }));
    },
  },
  {
    rule: 'an event when m.federate is false and the sender is from the creator server',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => {
      const room = new Room(v, { content: { 'm.federate': false } });
      room.member(ALICE, 'join');
      return room.check(room.event({ type: 'm.room.message', sender: ALICE, content: {} }));
    },
  },
  {
    rule: 'an event from another server when m.federate is false',
    families: ALL_FAMILIES,
    expect: /m.federate/,
    run: (v) => {
      const room = new Room(v, { content: { 'm.federate': false } });
      room.member(ALICE, 'join');
      room.joinRules('public');
      return room.check(room.event({ type: 'm.room.member', sender: BOB, state_key: BOB, content: { membership: 'join' } }));
    },
  },
];

describe('auth rules: m.room.create', () => runCases(cases));
describe('auth rules: room id and create event', () => runCases(roomIdCases));
