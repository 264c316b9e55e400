import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistEventBatch, Storage } from '../../src/storage/interfaces/index.js';
import { describeStorage } from '../helpers/storage.js';
import { roomEvents, roomHarness, verifyRoom } from './harness.js';

// The room writer's group commit (src/rooms/group-commit.ts): concurrent writes share transactions, a send
// resolves only once its event is committed, and a failed transaction fails exactly the sends whose events
// did not land (and those built on them) while the rooms carry on.

/** Counts the transactions the writer opens; `failWhen` makes a transaction holding a matching batch fail. */
function instrument(storage: Storage, failWhen?: (b: PersistEventBatch) => boolean): { transactions: number[] } {
  const seen = { transactions: [] as number[] };
  const original = storage.rooms.persistEventBatches.bind(storage.rooms);
  storage.rooms.persistEventBatches = async (batches) => {
    if (failWhen !== undefined && batches.some(failWhen)) throw new Error('injected write failure');
    const out = await original(batches);
    seen.transactions.push(batches.reduce((n, b) => n + b.events.length, 0));
    return out;
  };
  return seen;
}

const bodyOf = (b: PersistEventBatch) => b.events.map((e) => e.pdu.content.body);

describeStorage('room writer: group commit', (ctx) => {
  test('concurrent sends to one room and to several rooms share transactions and stay one chain per room', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const rooms = [];
    for (let i = 0; i < 3; i++) rooms.push((await h.rooms.createRoom(alice, {})).room_id);
    const seen = instrument(h.storage);
    const noticesBefore = h.notices.length;
    const sends = rooms.flatMap((roomId) =>
      Array.from({ length: 10 }, (_, i) =>
        h.rooms.sendMessageEvent(alice, roomId, 'm.room.message', { body: `${roomId} ${i}` }, `${roomId}-${i}`).then(async (r) => {
          // Resolved only after commit: the event is readable at once.
          assert.ok(await h.storage.rooms.getEvent(r.event_id), 'a send resolved before its event was stored');
          return r;
        }),
      ),
    );
    const ids = await Promise.all(sends);
    assert.equal(new Set(ids.map((r) => r.event_id)).size, 30);
    assert.equal(seen.transactions.reduce((a, b) => a + b, 0), 30);
    assert.ok(seen.transactions.length < 30, `expected shared transactions, got ${seen.transactions.length} for 30 sends`);
    assert.equal(h.notices.length - noticesBefore, 30);
    for (const roomId of rooms) {
      const events = await roomEvents(h.storage, roomId);
      events.forEach((e, i) => assert.equal(e.depth, i + 1));
      const messages = events.filter((e) => e.pdu.type === 'm.room.message').map((e) => e.pdu.content.body);
      // One room's events are committed in the order they were built (depth order = stream order).
      assert.equal(messages.length, 10);
      assert.deepEqual(await h.storage.rooms.getForwardExtremities(roomId), [events.at(-1)?.eventId]);
      assert.deepEqual(await verifyRoom(h, roomId), []);
    }
  });

  test('a failed commit fails its send and the sends built on it; other rooms and later sends carry on', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const { room_id: broken } = await h.rooms.createRoom(alice, {});
    const { room_id: other } = await h.rooms.createRoom(alice, {});
    instrument(h.storage, (b) => bodyOf(b).includes('poison'));
    // The first transaction is held until the other sends were built on top of it and queued.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const failing = h.storage.rooms.persistEventBatches.bind(h.storage.rooms);
    h.storage.rooms.persistEventBatches = async (batches) => {
      await gate;
      return failing(batches);
    };
    // The second send looks its transaction id up once it holds the room (and the poisoned draft).
    let holding: () => void = () => undefined;
    const secondHoldsRoom = new Promise<void>((r) => (holding = r));
    const getTxnEvent = h.storage.rooms.getTxnEvent.bind(h.storage.rooms);
    h.storage.rooms.getTxnEvent = async (userId, deviceId, txnId) => {
      if (txnId === 'q') holding();
      return getTxnEvent(userId, deviceId, txnId);
    };
    const sends = [
      h.rooms.sendMessageEvent(alice, broken, 'm.room.message', { body: 'poison' }, 'p'),
      h.rooms.sendMessageEvent(alice, broken, 'm.room.message', { body: 'after poison' }, 'q'),
      h.rooms.sendMessageEvent(alice, other, 'm.room.message', { body: 'elsewhere' }, 'r'),
    ];
    await secondHoldsRoom;
    release();
    const results = await Promise.allSettled(sends);
    assert.equal(results[0]?.status, 'rejected');
    // Built on the poisoned event (its prev_event), so it cannot land either.
    assert.equal(results[1]?.status, 'rejected');
    assert.equal(results[2]?.status, 'fulfilled');

    // The room goes on from what is stored; the failed transaction ids can be retried.
    const retried = await h.rooms.sendMessageEvent(alice, broken, 'm.room.message', { body: 'retry' }, 'q');
    const events = await roomEvents(h.storage, broken);
    assert.deepEqual(events.filter((e) => e.pdu.type === 'm.room.message').map((e) => e.pdu.content.body), ['retry']);
    assert.equal(events.at(-1)?.eventId, retried.event_id);
    events.forEach((e, i) => assert.equal(e.depth, i + 1));
    assert.deepEqual(await h.storage.rooms.getForwardExtremities(broken), [retried.event_id]);
    assert.deepEqual(await verifyRoom(h, broken), []);
    const otherEvents = await roomEvents(h.storage, other);
    assert.equal(otherEvents.at(-1)?.pdu.content.body, 'elsewhere');
  });

  test('a retried transaction id that races the first request still committing gets the same event', async () => {
    const h = roomHarness(await ctx.open());
    const alice = h.user('alice');
    const { room_id } = await h.rooms.createRoom(alice, {});
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const original = h.storage.rooms.persistEventBatches.bind(h.storage.rooms);
    h.storage.rooms.persistEventBatches = async (batches) => {
      await gate;
      return original(batches);
    };
    const first = h.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { body: 'once' }, 'same');
    // The first send is queued (its lock released) but held before its transaction.
    await new Promise((r) => setTimeout(r, 20));
    const retry = h.rooms.sendMessageEvent(alice, room_id, 'm.room.message', { body: 'once' }, 'same');
    await new Promise((r) => setTimeout(r, 20));
    release();
    const [a, b] = await Promise.all([first, retry]);
    assert.equal(a.event_id, b.event_id);
    const events = await roomEvents(h.storage, room_id);
    assert.equal(events.filter((e) => e.pdu.type === 'm.room.message').length, 1);
  });
});
