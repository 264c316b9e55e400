import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CREATOR_POWER_LEVEL,
  parsePowerLevelValue,
  powerLevelsFromState,
  powerLevelsView,
  roomCreators,
} from '../../../src/protocol/auth/index.js';
import { ALICE, BOB, CAROL, DAVE, family, Room, standardRoom } from './fixtures.js';

describe('power level values', () => {
  const cases: Array<[string, unknown, number | undefined]> = [
    ['1', 50, 50],
    ['1', '50', 50],
    ['1', ' +0100 ', 100],
    ['1', '-7', -7],
    ['1', 50.57, 50],
    ['1', -1.5, -1],
    ['1', '5.5', undefined],
    ['1', 'abc', undefined],
    ['1', true, undefined],
    ['6', '50', 50],
    ['6', 50.57, undefined],
    ['10', '50', undefined],
    ['10', 50, 50],
    ['12', null, undefined],
  ];
  for (const [id, value, want] of cases) {
    test(`v${id}: ${JSON.stringify(value)} parses as ${String(want)}`, () => {
      assert.equal(parsePowerLevelValue(family(id as '1'), value), want);
    });
  }
});

describe('power levels view', () => {
  test('defaults without a power-levels event: creator 100, others 0, state_default 0', () => {
    const room = new Room(family('10'));
    const pl = powerLevelsFromState(room.version, room.state);
    assert.equal(pl.fromEvent, false);
    assert.equal(pl.userLevel(ALICE), 100);
    assert.equal(pl.userLevel(BOB), 0);
    assert.equal(pl.eventLevel('m.room.topic', true), 0);
    assert.equal(pl.eventLevel('m.room.message', false), 0);
    assert.deepEqual([pl.ban, pl.kick, pl.redact, pl.invite], [50, 50, 50, 0]);
    assert.equal(pl.notificationLevel('room'), 50);
  });

  test('v11 without power levels: the create sender gets 100 whatever content.creator says', () => {
    const room = new Room(family('11'), { content: { creator: DAVE } });
    const pl = powerLevelsFromState(room.version, room.state);
    assert.equal(pl.userLevel(ALICE), 100);
    assert.equal(pl.userLevel(DAVE), 0);
  });

  test('defaults with a power-levels event that sets nothing: state_default 50, creator 0', () => {
    const room = new Room(family('6'));
    room.powerLevels({});
    const pl = powerLevelsFromState(room.version, room.state);
    assert.equal(pl.fromEvent, true);
    assert.equal(pl.eventLevel('m.room.topic', true), 50);
    assert.equal(pl.userLevel(ALICE), 0);
  });

  test('reads users, users_default, events and notifications', () => {
    const room = standardRoom(family('6'));
    room.powerLevels({ users: { [BOB]: '40' }, users_default: 5, events: { 'm.room.topic': 20 }, notifications: { room: 30 } });
    const pl = powerLevelsFromState(room.version, room.state);
    assert.equal(pl.userLevel(BOB), 40);
    assert.equal(pl.userLevel(CAROL), 5);
    assert.equal(pl.eventLevel('m.room.topic', true), 20);
    assert.equal(pl.notificationLevel('room'), 30);
  });

  test('v12 creators (sender and additional_creators) have infinite power, with or without power levels', () => {
    const room = new Room(family('12'), { content: { additional_creators: [DAVE] } });
    const before = powerLevelsFromState(room.version, room.state);
    assert.equal(before.userLevel(ALICE), CREATOR_POWER_LEVEL);
    assert.equal(before.userLevel(DAVE), Number.POSITIVE_INFINITY);
    room.powerLevels({ users: { [BOB]: 100 } });
    const after = powerLevelsView(room.version, room.state.get('m.room.power_levels\u0000'), room.create);
    assert.equal(after.userLevel(ALICE), CREATOR_POWER_LEVEL);
    assert.equal(after.userLevel(BOB), 100);
    assert.ok(after.userLevel(BOB) < after.userLevel(DAVE));
  });

  test('before v12 additional_creators means nothing', () => {
    const room = new Room(family('11'), { content: { additional_creators: [DAVE] } });
    room.powerLevels({ users: { [ALICE]: 100 } });
    const pl = powerLevelsFromState(room.version, room.state);
    assert.equal(pl.userLevel(DAVE), 0);
    assert.equal(pl.userLevel(ALICE), 100);
  });
});

describe('room creators', () => {
  test('v12: sender plus valid additional_creators', () => {
    const room = new Room(family('12'), { content: { additional_creators: [BOB, 'nope', CAROL] } });
    assert.deepEqual([...roomCreators(room.version, room.create)].sort(), [ALICE, BOB, CAROL].sort());
  });
  test('v11: the sender', () => {
    const room = new Room(family('11'), { content: { creator: DAVE } });
    assert.deepEqual([...roomCreators(room.version, room.create)], [ALICE]);
  });
  test('v1-v10: content.creator', () => {
    const room = new Room(family('10'), { content: { creator: DAVE } });
    assert.deepEqual([...roomCreators(room.version, room.create)], [DAVE]);
  });
});
