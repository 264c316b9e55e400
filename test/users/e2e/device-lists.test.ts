import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../../helpers/storage.js';
import type { MembershipRow, Storage, StoredEvent } from '../../../src/storage/interfaces/index.js';
import { e2eHarness, makeDevice, requester, SERVER } from './fixtures.js';

const ALICE = `@alice:${SERVER}`;
const BOB = `@bob:${SERVER}`;
const CAROL = `@carol:${SERVER}`;
const DAVE = `@dave:${SERVER}`;

/**
 * A tiny room world for the device-list calculation: memberships as a list of (position, room, user,
 * membership), read back through the RoomReadStore methods the e2e service uses.
 */
function withRooms(storage: Storage, log: Array<[number, string, string, string]>): Storage {
  const current = (upTo = Infinity) => {
    const m = new Map<string, { room: string; user: string; membership: string; pos: number }>();
    for (const [pos, room, user, membership] of log) if (pos <= upTo) m.set(`${room}|${user}`, { room, user, membership, pos });
    return [...m.values()];
  };
  const row = (r: { room: string; user: string; membership: string; pos: number }): MembershipRow => ({
    roomId: r.room,
    userId: r.user,
    membership: r.membership as MembershipRow['membership'],
    eventId: `$${r.pos}`,
    streamOrdering: r.pos,
  });
  const rooms = {
    getRoomsForUser: async (userId: string, kinds?: readonly string[]) =>
      current().filter((r) => r.user === userId && (!kinds || kinds.includes(r.membership))).map(row),
    getRoomMembers: async (roomId: string, kinds?: readonly string[]) =>
      current().filter((r) => r.room === roomId && (!kinds || kinds.includes(r.membership))).map(row),
    getMembershipChangesForUser: async (userId: string, from: number, to: number) =>
      log.filter(([pos, , user]) => user === userId && pos > from && pos <= to).map(([pos, room, user, membership]) => row({ pos, room, user, membership })),
    getCurrentStateDeltas: async (roomIds: readonly string[], from: number, to: number) =>
      log
        .filter(([pos, room]) => roomIds.includes(room) && pos > from && pos <= to)
        .map(([pos, room, user]) => ({ streamOrdering: pos, roomId: room, type: 'm.room.member', stateKey: user, eventId: `$${pos}` })),
    getMembershipAt: async (roomId: string, userId: string, position: number) => {
      const r = current(position).find((x) => x.room === roomId && x.user === userId);
      return r ? row(r) : undefined;
    },
    getEvents: async (ids: Iterable<string>) => {
      const out = new Map<string, StoredEvent>();
      for (const id of ids) {
        const entry = log.find(([pos]) => `$${pos}` === id);
        if (entry) out.set(id, { pdu: { content: { membership: entry[3] } } } as unknown as StoredEvent);
      }
      return out;
    },
  };
  return Object.assign(Object.create(storage) as Storage, { rooms: { ...storage.rooms, ...rooms } });
}

describeStorage('e2e device lists', (h) => {
  test('changed: key changes of users sharing a room (and our own); not of strangers', async () => {
    const base = await h.open();
    const storage = withRooms(base, [
      [1, '!r', ALICE, 'join'],
      [2, '!r', BOB, 'join'],
    ]);
    const { service } = e2eHarness(storage);
    const start = await service.currentPositions();
    for (const user of [BOB, CAROL, ALICE]) await service.uploadKeys(requester(user, 'D'), { device_keys: makeDevice(user, 'D').deviceKeys });
    const end = await service.currentPositions();
    const r = await service.deviceListChanges(ALICE, { events: 2, deviceLists: start.deviceLists }, { events: 2, deviceLists: end.deviceLists });
    assert.deepEqual(r, { changed: [ALICE, BOB].sort(), left: [] });
  });

  test('joins make users newly shared (changed); leaving the last shared room puts them in left', async () => {
    const base = await h.open();
    const storage = withRooms(base, [
      [1, '!r', ALICE, 'join'],
      [2, '!r', BOB, 'join'],
      [3, '!s', CAROL, 'join'],
      [4, '!r', DAVE, 'join'],
      // window (4, 8]:
      [5, '!s', ALICE, 'join'], // alice joins carol's room: carol is new to her
      [6, '!r', BOB, 'leave'], // bob leaves the only shared room
      [7, '!r', DAVE, 'leave'],
      [8, '!s', DAVE, 'join'], // dave left !r but shares !s now
    ]);
    const { service } = e2eHarness(storage);
    const p = await service.currentPositions();
    const r = await service.deviceListChanges(ALICE, { events: 4, deviceLists: p.deviceLists }, { events: 8, deviceLists: p.deviceLists });
    assert.deepEqual(r.left, [BOB]);
    assert.ok(r.changed.includes(CAROL));
    assert.ok(r.changed.includes(DAVE));
    assert.ok(!r.changed.includes(BOB));
  });

  test('our own leave: former room-mates we no longer share a room with are left', async () => {
    const base = await h.open();
    const storage = withRooms(base, [
      [1, '!r', ALICE, 'join'],
      [2, '!r', BOB, 'join'],
      [3, '!r', ALICE, 'leave'],
    ]);
    const { service } = e2eHarness(storage);
    const p = await service.currentPositions();
    const r = await service.deviceListChanges(ALICE, { events: 2, deviceLists: p.deviceLists }, { events: 3, deviceLists: p.deviceLists });
    assert.deepEqual(r, { changed: [], left: [BOB] });
  });

  test('an invite (or its rejection) to a room we never joined makes nobody left', async () => {
    const base = await h.open();
    const storage = withRooms(base, [
      [1, '!r', BOB, 'join'],
      [2, '!r', ALICE, 'invite'],
      [3, '!r', ALICE, 'leave'],
    ]);
    const { service } = e2eHarness(storage);
    const p = await service.currentPositions();
    const r = await service.deviceListChanges(ALICE, { events: 1, deviceLists: p.deviceLists }, { events: 3, deviceLists: p.deviceLists });
    assert.deepEqual(r, { changed: [], left: [] });
  });
});
