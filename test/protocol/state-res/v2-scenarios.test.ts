// The classic state-resolution scenarios (the set Synapse's tests/state/test_v2.py made well known), written
// from their descriptions and run for v2 rooms (pair-shaped refs, v6 rules, v11 rules) and for v12 (v2.1).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { roomVersion, type RoomVersion } from '../../../src/protocol/room-versions.js';
import {
  ALICE,
  BOB,
  CHARLIE,
  EVELYN,
  member,
  message,
  powerLevels,
  state,
  stateAtEnd,
  type EventSpec,
} from './fixtures.js';

const VERSIONS = ['2', '6', '11', '12'].map(roomVersion);

async function check(v: RoomVersion, specs: EventSpec[], edges: string[][], expected: string[]): Promise<void> {
  const { got, want } = await stateAtEnd(v, specs, edges, expected);
  assert.deepEqual(got, want);
}

for (const v of VERSIONS) {
  describe(`state resolution ${v.stateRes} (room v${v.id}): classic scenarios`, () => {
    test('a ban by an admin beats a concurrent power-level change by the banned user', async () => {
      await check(
        v,
        [
          state('PA', ALICE, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 50 })),
          member('MA', ALICE, ALICE, 'join'),
          member('MB', ALICE, BOB, 'ban'),
          state('PB', BOB, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 50 })),
        ],
        [
          ['END', 'MB', 'MA', 'PA', 'START'],
          ['END', 'PB', 'PA'],
        ],
        ['PA', 'MA', 'MB'],
      );
    });

    test('a join cannot evade a concurrent change of the join rules to invite-only', async () => {
      await check(
        v,
        [
          state('JR', ALICE, 'm.room.join_rules', { join_rule: 'invite' }),
          member('ME', EVELYN, EVELYN, 'join'),
        ],
        [
          ['END', 'JR', 'START'],
          ['END', 'ME', 'START'],
        ],
        ['JR'],
      );
    });

    test('a demoted user cannot keep a power-level change made on a side branch', async () => {
      await check(
        v,
        [
          state('PA', ALICE, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 50 })),
          state('PB', BOB, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 })),
          state('PC', CHARLIE, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 0 })),
        ],
        [
          ['END', 'PC', 'PB', 'PA', 'START'],
          ['END', 'PA'],
        ],
        ['PC'],
      );
    });

    test('topic basic: a topic set under revoked power loses to the admin line', async () => {
      await check(
        v,
        [
          state('T1', ALICE, 'm.room.topic', { topic: 't1' }),
          state('PA1', ALICE, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 50 })),
          state('T2', ALICE, 'm.room.topic', { topic: 't2' }),
          state('PA2', ALICE, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 0 })),
          state('PB', BOB, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 50 })),
          state('T3', BOB, 'm.room.topic', { topic: 't3' }),
        ],
        [
          ['END', 'PA2', 'T2', 'PA1', 'T1', 'START'],
          ['END', 'T3', 'PB', 'PA1'],
        ],
        ['PA2', 'T2'],
      );
    });

    test('topic reset: banning the topic setter does not resurrect their topic', async () => {
      await check(
        v,
        [
          state('T1', ALICE, 'm.room.topic', { topic: 't1' }),
          state('PA', ALICE, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 50 })),
          state('T2', BOB, 'm.room.topic', { topic: 't2' }),
          member('MB', ALICE, BOB, 'ban'),
        ],
        [
          ['END', 'MB', 'T2', 'PA', 'T1', 'START'],
          ['END', 'T1'],
        ],
        ['T1', 'MB', 'PA'],
      );
    });

    test('topic: a message between topics does not change which topic wins', async () => {
      await check(
        v,
        [
          state('T1', ALICE, 'm.room.topic', { topic: 't1' }),
          state('PA1', ALICE, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 50 })),
          state('T2', ALICE, 'm.room.topic', { topic: 't2' }),
          state('PA2', ALICE, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 0 })),
          state('PB', BOB, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 50 })),
          state('T3', BOB, 'm.room.topic', { topic: 't3' }),
          message('MZ1', '@zara:example.com'),
          state('T4', ALICE, 'm.room.topic', { topic: 't4' }),
        ],
        [
          ['END', 'T4', 'MZ1', 'PA2', 'T2', 'PA1', 'T1', 'START'],
          ['END', 'MZ1', 'T3', 'PB', 'PA1'],
        ],
        ['T4', 'PA2'],
      );
    });

    test('mainline sort: a later topic hanging off an older power level loses', async () => {
      // Without mainline ordering T4 (sent after T3) would win.
      await check(
        v,
        [
          state('T1', ALICE, 'm.room.topic', { topic: 't1' }),
          state('PA1', ALICE, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 50 })),
          state('T2', ALICE, 'm.room.topic', { topic: 't2' }),
          state(
            'PA2',
            ALICE,
            'm.room.power_levels',
            powerLevels(v, { [ALICE]: 100, [BOB]: 50 }, { events: { 'm.room.power_levels': 100 } }),
          ),
          state('PB', BOB, 'm.room.power_levels', powerLevels(v, { [ALICE]: 100, [BOB]: 50 })),
          state('T3', BOB, 'm.room.topic', { topic: 't3' }),
          state('T4', ALICE, 'm.room.topic', { topic: 't4' }),
        ],
        [
          ['END', 'T3', 'PA2', 'T2', 'PA1', 'T1', 'START'],
          ['END', 'T4', 'PB', 'PA1'],
        ],
        ['T3', 'PA2'],
      );
    });
  });
}
