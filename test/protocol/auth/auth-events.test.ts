import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { authStateFromAuthEvents, checkAuthEvents, checkEventAuth } from '../../../src/protocol/auth/index.js';
import { stateKey } from '../../../src/protocol/state-key.js';
import type { RoomVersion } from '../../../src/protocol/room-versions.js';
import type { RoomEvent } from '../../../src/types/pdu.js';
import { ALL_FAMILIES, BOB, CAROL, before, family, makeEvent, runCases, standardRoom, type AuthCase, type Room } from './fixtures.js';

/** A message from bob listing `auth` as its auth_events (in v1-v2 as [id, hashes] pairs). */
function messageWithAuth(room: Room, auth: RoomEvent[]): RoomEvent {
  const ev = room.event({ type: 'm.room.message', sender: BOB, content: {} });
  ev.pdu.auth_events = auth.map((a) => (room.version.eventRefsArePairs ? [a.eventId, { sha256: 'x' }] : a.eventId));
  return ev;
}

function proper(room: Room): RoomEvent[] {
  const keys = [stateKey('m.room.power_levels', ''), stateKey('m.room.member', BOB)];
  if (!room.version.createEventNotInAuthEvents) keys.unshift(stateKey('m.room.create', ''));
  return keys.map((k) => room.state.get(k)!);
}

const check = (v: RoomVersion, build: (room: Room) => { ev: RoomEvent; supplied: RoomEvent[] }, rejected: string[] = []) => {
  const room = standardRoom(v);
  const { ev, supplied } = build(room);
  return checkAuthEvents(v, ev, supplied, { isRejected: (id) => rejected.includes(id) });
};

const cases: AuthCase[] = [
  {
    rule: 'auth events exactly as the selection names them',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => check(v, (room) => ({ ev: messageWithAuth(room, proper(room)), supplied: proper(room) })),
  },
  {
    rule: 'two auth events for the same type and state_key',
    families: ALL_FAMILIES,
    expect: /more than once/,
    run: (v) =>
      check(v, (room) => {
        const old = room.state.get(stateKey('m.room.power_levels', ''))!;
        room.powerLevels(old.pdu.content);
        const auth = [...proper(room), old];
        return { ev: messageWithAuth(room, auth), supplied: auth };
      }),
  },
  {
    rule: 'an auth event the selection does not name',
    families: ALL_FAMILIES,
    expect: /not in the auth events selection/,
    run: (v) =>
      check(v, (room) => {
        const auth = [...proper(room), room.state.get(stateKey('m.room.join_rules', ''))!];
        return { ev: messageWithAuth(room, auth), supplied: auth };
      }),
  },
  {
    rule: 'auth events without the create event',
    families: before('12'),
    expect: /no m\.room\.create/,
    run: (v) =>
      check(v, (room) => {
        const auth = proper(room).slice(1);
        return { ev: messageWithAuth(room, auth), supplied: auth };
      }),
  },
  {
    rule: 'auth events listing the create event where the room id implies it',
    families: ['12'],
    expect: /not in the auth events selection/,
    run: (v) =>
      check(v, (room) => {
        const auth = [room.create, ...proper(room)];
        return { ev: messageWithAuth(room, auth), supplied: auth };
      }),
  },
  {
    rule: 'an auth event from another room',
    families: ALL_FAMILIES,
    expect: /belongs to room/,
    run: (v) =>
      check(v, (room) => {
        const foreign = makeEvent(v, { type: 'm.room.member', sender: BOB, state_key: BOB, content: { membership: 'join' } }, '!other:b.example');
        const auth = [...proper(room).filter((e) => e.pdu.type !== 'm.room.member'), foreign];
        return { ev: messageWithAuth(room, auth), supplied: auth };
      }),
  },
  {
    rule: 'an auth event that was itself rejected',
    families: ALL_FAMILIES,
    expect: /was rejected/,
    run: (v) => {
      const room = standardRoom(v);
      const auth = proper(room);
      return checkAuthEvents(v, messageWithAuth(room, auth), auth, { isRejected: (id) => id === auth.at(-1)!.eventId });
    },
  },
  {
    rule: 'an auth event that is missing',
    families: ALL_FAMILIES,
    expect: /is missing/,
    run: (v) => check(v, (room) => ({ ev: messageWithAuth(room, proper(room)), supplied: proper(room).slice(0, -1) })),
  },
  {
    rule: 'a create event with auth events',
    families: ALL_FAMILIES,
    expect: /no auth_events/,
    run: (v) =>
      check(v, (room) => {
        const ev = structuredClone(room.create);
        ev.pdu.auth_events = ['$x'];
        return { ev, supplied: [] };
      }),
  },
];

describe('auth rules: the event’s own auth_events', () => {
  runCases(cases);

  for (const v of ['11', '12'] as const) {
    test(`v${v}: auth events turned into a state map authorise the event`, () => {
      const room = standardRoom(family(v));
      const auth = proper(room);
      const ev = messageWithAuth(room, auth);
      const implied = room.version.createEventNotInAuthEvents ? room.create : undefined;
      assert.deepEqual(checkEventAuth(room.version, ev, authStateFromAuthEvents(auth, implied)), { allowed: true });
      // Without the member event of the sender the same event is refused.
      const partial = authStateFromAuthEvents(auth.filter((e) => e.pdu.state_key !== BOB), implied);
      assert.equal(checkEventAuth(room.version, ev, partial).allowed, false);
      assert.equal(partial.has(stateKey('m.room.member', CAROL)), false);
    });
  }
});
