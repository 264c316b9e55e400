import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedSyncReads } from '../../src/sync/shared-reads.js';
import type { RoomReadStore, StoredEvent } from '../../src/storage/interfaces/index.js';

// The reads woken syncs share (src/sync/shared-reads.ts): one store read per question and events position,
// none shared with a sync at an older position, nothing kept from a failed read.

function countingStore() {
  const calls: string[] = [];
  let failNext = false;
  const event = (id: string) => ({ eventId: id }) as unknown as StoredEvent;
  const store = {
    async getRoomEventsInRange(roomId: string, from: number, to: number) {
      calls.push(`range ${roomId} ${from} ${to}`);
      if (failNext) {
        failNext = false;
        throw new Error('database went away');
      }
      return [event(`$${to}`)];
    },
    async getStateIdsBeforeEvent(eventId: string) {
      calls.push(`before ${eventId}`);
      return new Map([['m.room.member\u0000@a:x', '$m']]);
    },
    async getEvents(ids: Iterable<string>) {
      const list = [...ids];
      calls.push(`events ${list.join(',')}`);
      return new Map(list.filter((id) => id !== '$missing').map((id) => [id, event(id)]));
    },
    async getEvent(id: string) {
      calls.push(`event ${id}`);
      return event(id);
    },
  } as unknown as RoomReadStore;
  return { store, calls, failOnce: () => (failNext = true) };
}

test('syncs at one position share each read; a newer position starts afresh; an older one reads through', async () => {
  const { store, calls } = countingStore();
  const shared = new SharedSyncReads(store, () => 0);
  const a = shared.at(10);
  const b = shared.at(10);
  const [ta, tb] = await Promise.all([a.roomEventsBefore('!r', 5, 10, 20), b.roomEventsBefore('!r', 5, 10, 20)]);
  assert.equal(ta, tb);
  await Promise.all([a.stateBeforeEvent('$x'), b.stateBeforeEvent('$x')]);
  assert.deepEqual(calls, ['range !r 5 10', 'before $x']);

  await shared.at(11).roomEventsBefore('!r', 5, 10, 20);
  assert.equal(calls.length, 3, 'a newer position does not reuse the older answers');
  await shared.at(10).roomEventsBefore('!r', 5, 10, 20);
  await shared.at(10).roomEventsBefore('!r', 5, 10, 20);
  assert.equal(calls.length, 5, 'a sync behind the newest position reads for itself');
});

test('events are read once per id in one batch, and missing ids stay missing', async () => {
  const { store, calls } = countingStore();
  const reads = new SharedSyncReads(store, () => 0).at(1);
  const first = await reads.events(['$a', '$b', '$missing']);
  assert.deepEqual([...first.keys()].sort(), ['$a', '$b']);
  const second = await reads.events(['$b', '$c']);
  assert.deepEqual([...second.keys()].sort(), ['$b', '$c']);
  assert.deepEqual(calls, ['events $a,$b,$missing', 'events $c']);
});

test('a failed read is not remembered, and a generation is renewed after a while at one position', async () => {
  const { store, calls, failOnce } = countingStore();
  let now = 0;
  const shared = new SharedSyncReads(store, () => now);
  failOnce();
  await assert.rejects(shared.at(3).roomEventsBefore('!r', 0, 3, 5), /went away/);
  await shared.at(3).roomEventsBefore('!r', 0, 3, 5);
  await shared.at(3).roomEventsBefore('!r', 0, 3, 5);
  assert.equal(calls.length, 2);
  now = 60_000;
  await shared.at(3).roomEventsBefore('!r', 0, 3, 5);
  assert.equal(calls.length, 3);
});
