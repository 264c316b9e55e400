import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../helpers/storage.js';

describeStorage('user data store', (h) => {
  test('account data is replaced per key and read back by stream range', async () => {
    const { userData } = await h.open();
    await userData.putAccountData({ userId: '@a:x', roomId: '', type: 'm.direct', content: { v: 1 }, streamId: 1 });
    await userData.putAccountData({ userId: '@a:x', roomId: '!r:x', type: 'm.tag', content: { tags: {} }, streamId: 2 });
    await userData.putAccountData({ userId: '@a:x', roomId: '', type: 'm.direct', content: { v: 2 }, streamId: 3 });
    await userData.putAccountData({ userId: '@b:x', roomId: '', type: 'm.direct', content: { v: 9 }, streamId: 4 });
    assert.deepEqual((await userData.getAccountData('@a:x', '', 'm.direct'))?.content, { v: 2 });
    assert.equal(await userData.getAccountData('@a:x', '', 'nope'), undefined);
    const all = await userData.getAllAccountData('@a:x');
    assert.deepEqual(
      all.map((r) => [r.roomId, r.type, r.streamId]),
      [
        ['!r:x', 'm.tag', 2],
        ['', 'm.direct', 3],
      ],
    );
    const since2 = await userData.getAllAccountData('@a:x', { from: 2, to: 10 });
    assert.deepEqual(since2.map((r) => r.type), ['m.direct']);
    assert.deepEqual(await userData.getAllAccountData('@a:x', { from: 3, to: 10 }), []);
  });

  test('filters get increasing ids per user and are read back', async () => {
    const { userData } = await h.open();
    assert.equal(await userData.createFilter('@a:x', { room: { timeline: { limit: 5 } } }), 0);
    assert.equal(await userData.createFilter('@a:x', { presence: { not_types: ['*'] } }), 1);
    assert.equal(await userData.createFilter('@b:x', {}), 0);
    assert.deepEqual(await userData.getFilter('@a:x', 0), { room: { timeline: { limit: 5 } } });
    assert.equal(await userData.getFilter('@b:x', 1), undefined);
  });

  test('receipts keep the latest per room, type, user and thread', async () => {
    const { userData } = await h.open();
    const base = { roomId: '!r:x', receiptType: 'm.read', userId: '@a:x', threadId: '' };
    await userData.putReceipt({ ...base, eventId: '$1', data: { ts: 1 }, streamId: 1 });
    await userData.putReceipt({ ...base, threadId: 'main', eventId: '$2', data: { ts: 2 }, streamId: 2 });
    await userData.putReceipt({ ...base, eventId: '$3', data: { ts: 3 }, streamId: 3 });
    await userData.putReceipt({ ...base, roomId: '!s:x', eventId: '$4', data: { ts: 4 }, streamId: 4 });
    const r = await userData.getReceipts(['!r:x']);
    assert.deepEqual(r.map((x) => [x.threadId, x.eventId, x.streamId]), [
      ['main', '$2', 2],
      ['', '$3', 3],
    ]);
    assert.deepEqual((await userData.getReceipts(['!r:x', '!s:x'], { from: 2, to: 4 })).map((x) => x.eventId), ['$3', '$4']);
    assert.deepEqual((await userData.getUserReceipts('!r:x', '@a:x', 'm.read')).map((x) => x.eventId), ['$3', '$2']);
    assert.deepEqual(r[1]?.data, { ts: 3 });
  });

  test("one user's receipts of some types are read for many rooms at once", async () => {
    const { userData } = await h.open();
    const base = { roomId: '!r:x', receiptType: 'm.read', userId: '@a:x', threadId: '', data: {} };
    await userData.putReceipt({ ...base, eventId: '$1', streamId: 1 });
    await userData.putReceipt({ ...base, receiptType: 'm.read.private', threadId: 'main', eventId: '$2', streamId: 2 });
    await userData.putReceipt({ ...base, roomId: '!s:x', eventId: '$3', streamId: 3 });
    await userData.putReceipt({ ...base, roomId: '!s:x', receiptType: 'm.fully_read', eventId: '$4', streamId: 4 });
    await userData.putReceipt({ ...base, roomId: '!s:x', userId: '@b:x', eventId: '$5', streamId: 5 });
    await userData.putReceipt({ ...base, roomId: '!t:x', eventId: '$6', streamId: 6 });
    const rows = await userData.getUserReceiptsInRooms(['!r:x', '!s:x', '!u:x'], '@a:x', ['m.read', 'm.read.private']);
    assert.deepEqual(rows.map((x) => x.eventId).sort(), ['$1', '$2', '$3']);
    assert.deepEqual(await userData.getUserReceiptsInRooms([], '@a:x', ['m.read']), []);
  });

  test("a user's read receipts in a room are read once, then kept until one of them changes", async () => {
    const storage = await h.open();
    const { userData } = storage;
    let statements = 0;
    const count = () => statements++;
    storage.knex.on('query', count);
    try {
      const base = { roomId: '!r:x', receiptType: 'm.read', userId: '@a:x', threadId: '', eventId: '$1', data: {}, streamId: 1 };
      await userData.putReceipt(base);
      const ids = async () => (await userData.getUserReceiptsInRooms(['!r:x', '!s:x'], '@a:x', ['m.read', 'm.read.private'])).map((x) => x.eventId).sort();
      statements = 0;
      assert.deepEqual(await ids(), ['$1']);
      assert.equal(statements, 1);
      assert.deepEqual(await ids(), ['$1']);
      assert.equal(statements, 1, 'the second read is answered from memory');
      // Other users' receipts, and other types, leave it alone; the user's own in the room do not.
      await userData.putReceipt({ ...base, userId: '@b:x', eventId: '$2', streamId: 2 });
      statements = 0;
      assert.deepEqual(await ids(), ['$1']);
      assert.equal(statements, 0);
      await userData.putReceipt({ ...base, roomId: '!s:x', receiptType: 'm.read.private', eventId: '$3', streamId: 3 });
      await userData.putReceipt({ ...base, threadId: 'main', eventId: '$4', streamId: 4 });
      assert.deepEqual(await ids(), ['$1', '$3', '$4']);
      // Asked for another type, from what is kept.
      assert.deepEqual((await userData.getUserReceiptsInRooms(['!s:x'], '@a:x', ['m.read'])).map((x) => x.eventId), []);
      // A receipt written while a read runs is seen by the next read.
      const running = ids();
      await userData.putReceipt({ ...base, eventId: '$5', streamId: 5 });
      await running;
      assert.deepEqual(await ids(), ['$3', '$4', '$5']);
    } finally {
      storage.knex.off('query', count);
    }
  });

  test('presence is one row per user with changes by stream id', async () => {
    const { userData } = await h.open();
    await userData.putPresence({ userId: '@a:x', state: 'online', statusMsg: 'hi', lastActiveTs: 10, currentlyActive: true, streamId: 1 });
    await userData.putPresence({ userId: '@b:x', state: 'unavailable', statusMsg: null, lastActiveTs: 20, currentlyActive: false, streamId: 2 });
    await userData.putPresence({ userId: '@a:x', state: 'offline', statusMsg: null, lastActiveTs: 30, currentlyActive: false, streamId: 3 });
    const rows = await userData.getPresence(['@a:x', '@c:x']);
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0], { userId: '@a:x', state: 'offline', statusMsg: null, lastActiveTs: 30, currentlyActive: false, streamId: 3 });
    assert.deepEqual((await userData.getPresenceChanges(1, 3)).map((r) => r.userId), ['@b:x', '@a:x']);
    const b = (await userData.getPresence(['@b:x']))[0];
    assert.equal(b?.currentlyActive, false);
  });

  test('stream id generators seed from the stored maximum', async () => {
    const storage = await h.open();
    await storage.userData.putReceipt({ roomId: '!r:x', receiptType: 'm.read', userId: '@a:x', threadId: '', eventId: '$1', data: {}, streamId: 41 });
    const gen = await storage.streamIdGenerator('receipts', 'stream_id');
    assert.equal(gen.currentToken(), 41);
    const g2 = await storage.streamIdGenerator('account_data', 'stream_id');
    assert.equal(g2.currentToken(), 0);
  });
});
