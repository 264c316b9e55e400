import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KnexAppserviceStore } from '../../src/storage/knex/appservice-store.js';
import { describeStorage } from '../helpers/storage.js';

// The appservice store on both engines: positions, transactions written with the position atomically,
// oldest-first resend order, counts, network room lists.

describeStorage('appservice store', (h) => {
  test('a transaction moves the position with it; ids grow; oldest first; counts', async () => {
    const storage = await h.open();
    try {
      const s = storage.appservices;
      assert.equal(await s.getEventsPosition('a'), null);
      await s.initPosition('a', 5);
      await s.initPosition('a', 99); // no-op once the row exists
      assert.equal(await s.getEventsPosition('a'), 5);
      const t1 = await s.createTxn('a', { body: (id) => JSON.stringify({ id }), eventCount: 3, position: 10, now: 1000 });
      const t2 = await s.createTxn('a', { body: (id) => JSON.stringify({ id }), eventCount: 2, position: 12, now: 1001 });
      assert.equal(t2, t1 + 1);
      assert.equal(await s.getEventsPosition('a'), 12);
      assert.deepEqual(await s.countPendingTxns('a'), { txns: 2, events: 5 });
      const oldest = await s.getOldestTxn('a');
      assert.equal(oldest?.txnId, t1);
      assert.equal(oldest?.body, JSON.stringify({ id: t1 }));
      await s.deleteTxn('a', t1);
      assert.equal((await s.getOldestTxn('a'))?.txnId, t2);
      await s.deleteTxn('a', t2);
      assert.deepEqual(await s.countPendingTxns('a'), { txns: 0, events: 0 });
      // Ids never restart after the queue drained.
      assert.equal(await s.createTxn('a', { body: () => '{}', eventCount: 1, position: 13, now: 1002 }), t2 + 1);
      // The next transaction takes the acknowledged one's row with it.
      const t4 = await s.createTxn('a', { body: () => '{}', eventCount: 4, position: 14, now: 1003, acknowledged: t2 + 1 });
      assert.deepEqual(await s.countPendingTxns('a'), { txns: 1, events: 4 });
      assert.equal((await s.getOldestTxn('a'))?.txnId, t4);
      await s.setEventsPosition('b', 7);
      assert.equal(await s.getEventsPosition('b'), 7);
    } finally {
      await storage.close();
    }
  });

  test('after the first, a transaction is one statement on PostgreSQL; a failed one writes nothing; a restarted store goes on from the stored id', async () => {
    const storage = await h.open();
    try {
      const s = storage.appservices;
      await s.initPosition('q', 1);
      const t1 = await s.createTxn('q', { body: () => '{}', eventCount: 1, position: 2, now: 1000 });
      const seen: string[] = [];
      const on = (q: { sql: string }) => seen.push(q.sql.trim().replace(/;$/, '').split(/\s+/)[0]?.toUpperCase() ?? '');
      storage.knex.on('query', on);
      const t2 = await s.createTxn('q', { body: () => '{"n":2}', eventCount: 2, position: 3, now: 1001, acknowledged: t1 });
      storage.knex.off('query', on);
      assert.equal(t2, t1 + 1);
      // SQLite runs in this process: a transaction costs it no round trip.
      if (storage.dialect.engine === 'postgres') assert.deepEqual(seen, ['WITH']);
      else assert.deepEqual([seen[0], seen.at(-1)], ['BEGIN', 'COMMIT']);
      assert.deepEqual(await s.countPendingTxns('q'), { txns: 1, events: 2 });
      assert.equal((await s.getOldestTxn('q'))?.body, '{"n":2}');
      assert.equal(await s.getEventsPosition('q'), 3);

      // A row in the way of the next id: the write fails as a whole, the position stays.
      await storage.knex('appservice_txns').insert({ as_id: 'q', txn_id: t2 + 1, body: '{}', event_count: 0, created_ts: 0 });
      await assert.rejects(s.createTxn('q', { body: () => '{}', eventCount: 5, position: 9, now: 1002, acknowledged: t2 }));
      assert.equal(await s.getEventsPosition('q'), 3);
      assert.deepEqual(await s.countPendingTxns('q'), { txns: 2, events: 2 });
      await storage.knex('appservice_txns').where({ as_id: 'q', txn_id: t2 + 1 }).delete();
      assert.equal(await s.createTxn('q', { body: () => '{}', eventCount: 5, position: 9, now: 1003 }), t2 + 1);

      const restarted = new KnexAppserviceStore(storage.knex, storage.dialect);
      assert.equal(await restarted.createTxn('q', { body: () => '{}', eventCount: 1, position: 10, now: 1004 }), t2 + 2);
      assert.equal(await restarted.createTxn('q', { body: () => '{}', eventCount: 1, position: 11, now: 1005 }), t2 + 3);
      assert.equal(await restarted.getEventsPosition('q'), 11);
    } finally {
      await storage.close();
    }
  });

  test('network room lists', async () => {
    const storage = await h.open();
    try {
      const s = storage.appservices;
      await s.setRoomListed('a', 'net1', '!r1:x', true);
      await s.setRoomListed('a', 'net1', '!r1:x', true);
      await s.setRoomListed('a', 'net2', '!r2:x', true);
      assert.deepEqual((await s.getListedRooms('a', null)).sort(), ['!r1:x', '!r2:x']);
      assert.deepEqual(await s.getListedRooms(null, 'net1'), ['!r1:x']);
      await s.setRoomListed('a', 'net1', '!r1:x', false);
      assert.deepEqual(await s.getListedRooms('a', 'net1'), []);
    } finally {
      await storage.close();
    }
  });

  test('device stream positions start unset, move with a transaction or alone; inbox rows are read by stream range', async () => {
    const storage = await h.open();
    try {
      const s = storage.appservices;
      assert.deepEqual(await s.getDevicePositions('d'), { toDevice: null, deviceLists: null });
      await s.setDevicePositions('d', { toDevice: 3, deviceLists: 4 });
      assert.deepEqual(await s.getDevicePositions('d'), { toDevice: 3, deviceLists: 4 });
      await s.initPosition('e', 1);
      await s.createTxn('e', { body: () => '{}', eventCount: 0, position: 2, now: 1000, devicePositions: { toDevice: 7, deviceLists: 8 } });
      assert.deepEqual(await s.getDevicePositions('e'), { toDevice: 7, deviceLists: 8 });
      assert.equal(await s.getEventsPosition('e'), 2);
      // A transaction without device positions leaves them where they were.
      await s.createTxn('e', { body: () => '{}', eventCount: 1, position: 3, now: 1001 });
      assert.deepEqual(await s.getDevicePositions('e'), { toDevice: 7, deviceLists: 8 });

      const msg = (n: number) => ({ type: 'm.test', sender: '@s:x', content: { n } });
      await storage.e2e.addToDeviceMessages({ userId: '@s:x', deviceId: 'S', txnId: 't1' }, [{ userId: '@u:x', deviceId: 'A', message: msg(1) }], 10, 1000);
      await storage.e2e.addToDeviceMessages(
        { userId: '@s:x', deviceId: 'S', txnId: 't2' },
        [
          { userId: '@u:x', deviceId: 'A', message: msg(2) },
          { userId: '@v:x', deviceId: 'B', message: msg(2) },
        ],
        11,
        1000,
      );
      const all = await s.getToDeviceInRange(0, 11, 10);
      assert.deepEqual(all.map((r) => [r.streamId, r.userId, r.deviceId, r.message.content]), [
        [10, '@u:x', 'A', { n: 1 }],
        [11, '@u:x', 'A', { n: 2 }],
        [11, '@v:x', 'B', { n: 2 }],
      ]);
      assert.deepEqual((await s.getToDeviceInRange(10, 11, 1)).map((r) => r.userId), ['@u:x']);
      assert.deepEqual(await s.getToDeviceInRange(11, 20, 10), []);
    } finally {
      await storage.close();
    }
  });
});
