import { describe } from 'node:test';
import type { RoomVersion } from '../../../src/protocol/room-versions.js';
import type { JsonObject } from '../../../src/types/json.js';
import { ALICE, ALL_FAMILIES, BOB, CAROL, DAVE, before, Room, runCases, since, standardRoom, type AuthCase } from './fixtures.js';

function currentPl(room: Room): JsonObject {
  return room.state.get('m.room.power_levels\u0000')!.pdu.content;
}

/** Sends a power-levels event whose content is the current one transformed by `edit`. */
function changePl(v: RoomVersion, sender: string, edit: (pl: JsonObject, room: Room) => JsonObject, setup?: (room: Room) => void) {
  const room = standardRoom(v);
  setup?.(room);
  const content = edit(structuredClone(currentPl(room)), room);
  return room.check(room.event({ type: 'm.room.power_levels', sender, state_key: '', content }));
}

/** A room whose power levels let bob (50) send power-levels events, so the change rules are what decide. */
const bobMaySendPl = (room: Room) => {
  const pl = currentPl(room);
  room.powerLevels({ ...pl, events: { 'm.room.power_levels': 50 } });
};

const users = (pl: JsonObject): JsonObject => pl.users as JsonObject;
const creatorEntry = (v: RoomVersion): JsonObject => (v.privilegedCreators ? {} : { [ALICE]: 100 });

const cases: AuthCase[] = [
  {
    rule: 'the first power-levels event of the room',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => {
      const room = new Room(v);
      room.member(ALICE, 'join');
      return room.check(room.event({ type: 'm.room.power_levels', sender: ALICE, state_key: '', content: { users: creatorEntry(v) } }));
    },
  },
  {
    rule: 'users keyed by something that is not a user id',
    families: ALL_FAMILIES,
    expect: /not a valid user id/,
    run: (v) => changePl(v, ALICE, (pl) => ({ ...pl, users: { ...users(pl), 'bob@b.example': 10 } })),
  },
  {
    rule: 'users that is not an object',
    families: ALL_FAMILIES,
    expect: /users is not an object/,
    run: (v) => changePl(v, ALICE, (pl) => ({ ...pl, users: [BOB] })),
  },
  {
    rule: 'string levels such as " +10 "',
    families: before('10'),
    expect: true,
    run: (v) => changePl(v, ALICE, (pl) => ({ ...pl, users: { ...users(pl), [CAROL]: ' +10 ' }, ban: '050' })),
  },
  {
    rule: 'a string user level',
    families: since('10'),
    expect: /is not an integer/,
    run: (v) => changePl(v, ALICE, (pl) => ({ ...pl, users: { ...users(pl), [CAROL]: '10' } })),
  },
  {
    rule: 'a string user level that is not an integer',
    families: before('10'),
    expect: /is not an integer/,
    run: (v) => changePl(v, ALICE, (pl) => ({ ...pl, users: { ...users(pl), [CAROL]: '10.5' } })),
  },
  {
    rule: 'a string top-level value',
    families: since('10'),
    expect: /kick is not an integer/,
    run: (v) => changePl(v, ALICE, (pl) => ({ ...pl, kick: '50' })),
  },
  {
    rule: 'events that is not an object of integers',
    families: since('10'),
    expect: /events\.m\.room\.name is not an integer/,
    run: (v) => changePl(v, ALICE, (pl) => ({ ...pl, events: { 'm.room.name': '50' } })),
  },
  {
    rule: 'notifications that is not an object',
    families: since('10'),
    expect: /notifications is not an object/,
    run: (v) => changePl(v, ALICE, (pl) => ({ ...pl, notifications: 50 })),
  },
  {
    rule: 'a float user level (truncated)',
    families: ['1', '3'],
    expect: true,
    run: (v) => changePl(v, ALICE, (pl) => ({ ...pl, users: { ...users(pl), [CAROL]: 50.57 } })),
  },
  {
    rule: 'a float user level where canonical JSON is enforced',
    families: since('6'),
    expect: /is not an integer/,
    run: (v) => changePl(v, ALICE, (pl) => ({ ...pl, users: { ...users(pl), [CAROL]: 50.57 } })),
  },
  {
    rule: 'raising a top-level level within the sender power',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => changePl(v, BOB, (pl) => ({ ...pl, invite: 50 }), bobMaySendPl),
  },
  {
    rule: "raising a top-level level above the sender's power",
    families: ALL_FAMILIES,
    expect: /ban: new value exceeds/,
    run: (v) => changePl(v, BOB, (pl) => ({ ...pl, ban: 60 }), bobMaySendPl),
  },
  {
    rule: "lowering a top-level level that is above the sender's power",
    families: ALL_FAMILIES,
    expect: /state_default: current value exceeds/,
    run: (v) =>
      changePl(v, BOB, (pl) => ({ ...pl, state_default: 0 }), (room) => {
        room.powerLevels({ ...currentPl(room), events: { 'm.room.power_levels': 50 }, state_default: 60 });
      }),
  },
  {
    rule: "removing a top-level key whose value is above the sender's power",
    families: ALL_FAMILIES,
    expect: /redact: current value exceeds/,
    run: (v) =>
      changePl(
        v,
        BOB,
        (pl) => {
          delete pl.redact;
          return pl;
        },
        (room) => room.powerLevels({ ...currentPl(room), events: { 'm.room.power_levels': 50 }, redact: 90 }),
      ),
  },
  {
    rule: "adding an events entry above the sender's power",
    families: ALL_FAMILIES,
    expect: /events\.m\.room\.topic: new value exceeds/,
    run: (v) => changePl(v, BOB, (pl) => ({ ...pl, events: { ...(pl.events as JsonObject), 'm.room.topic': 75 } }), bobMaySendPl),
  },
  {
    rule: "changing an events entry currently above the sender's power",
    families: ALL_FAMILIES,
    expect: /events\.m\.room\.tombstone: current value exceeds/,
    run: (v) =>
      changePl(v, BOB, (pl) => ({ ...pl, events: { 'm.room.power_levels': 50, 'm.room.tombstone': 50 } }), (room) => {
        room.powerLevels({ ...currentPl(room), events: { 'm.room.power_levels': 50, 'm.room.tombstone': 100 } });
      }),
  },
  {
    rule: "raising notifications.room above the sender's power",
    families: since('6'),
    expect: /notifications\.room: new value exceeds/,
    run: (v) => changePl(v, BOB, (pl) => ({ ...pl, notifications: { room: 75 } }), bobMaySendPl),
  },
  {
    rule: 'raising notifications.room above the sender power (not guarded before v6)',
    families: ['1', '3'],
    expect: true,
    run: (v) => changePl(v, BOB, (pl) => ({ ...pl, notifications: { room: 75 } }), bobMaySendPl),
  },
  {
    rule: 'promoting a user up to the sender power',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => changePl(v, BOB, (pl) => ({ ...pl, users: { ...users(pl), [CAROL]: 50 } }), bobMaySendPl),
  },
  {
    rule: "promoting a user above the sender's power",
    families: ALL_FAMILIES,
    expect: /users\.@carol:c\.example: new value exceeds/,
    run: (v) => changePl(v, BOB, (pl) => ({ ...pl, users: { ...users(pl), [CAROL]: 51 } }), bobMaySendPl),
  },
  {
    rule: 'demoting a user at the sender power',
    families: ALL_FAMILIES,
    expect: /at or above the sender's level/,
    run: (v) =>
      changePl(v, BOB, (pl) => ({ ...pl, users: { ...users(pl), [CAROL]: 0 } }), (room) => {
        room.powerLevels({ ...currentPl(room), events: { 'm.room.power_levels': 50 }, users: { ...users(currentPl(room)), [CAROL]: 50 } });
      }),
  },
  {
    rule: 'demoting oneself',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => changePl(v, BOB, (pl) => ({ ...pl, users: { ...users(pl), [BOB]: 10 } }), bobMaySendPl),
  },
  {
    rule: 'removing a lower user entry',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) =>
      changePl(
        v,
        BOB,
        (pl) => {
          delete users(pl)[CAROL];
          return pl;
        },
        (room) => room.powerLevels({ ...currentPl(room), events: { 'm.room.power_levels': 50 }, users: { ...users(currentPl(room)), [CAROL]: 10 } }),
      ),
  },
  {
    rule: 'listing the room creator in users',
    families: ['12'],
    expect: /room creator @alice:a\.example may not be listed/,
    run: (v) => changePl(v, ALICE, (pl) => ({ ...pl, users: { ...users(pl), [ALICE]: 100 } })),
  },
  {
    rule: 'listing an additional creator in users',
    families: ['12'],
    expect: /room creator @dave:a\.example may not be listed/,
    run: (v) => {
      const room = standardRoom(v, { content: { additional_creators: [DAVE] } });
      const content = { ...currentPl(room), users: { ...users(currentPl(room)), [DAVE]: 100 } };
      return room.check(room.event({ type: 'm.room.power_levels', sender: ALICE, state_key: '', content }));
    },
  },
  {
    rule: 'listing the create sender in users (no privileged creators)',
    families: before('12'),
    expect: true,
    run: (v) => changePl(v, ALICE, (pl) => ({ ...pl, users: { ...users(pl), [ALICE]: 100 } })),
  },
  {
    rule: 'a creator setting levels far above 100 (infinite power)',
    families: ['12'],
    expect: true,
    run: (v) => changePl(v, ALICE, (pl) => ({ ...pl, users: { [BOB]: 9000 }, ban: 9000 })),
  },
];

describe('auth rules: m.room.power_levels', () => runCases(cases));
