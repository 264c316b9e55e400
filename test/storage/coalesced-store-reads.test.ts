import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { describeStorage } from '../helpers/storage.js';
import type { PushActionRow, ThreadCounts, UnreadFloor } from '../../src/storage/interfaces/index.js';

// Woken syncs ask their per-user reads at once (src/storage/knex/coalesced-reads.ts): the stores answer them
// with one statement per kind, and each caller must get exactly what it would have got asking alone.

function action(over: Partial<PushActionRow>): PushActionRow {
  return { userId: '@a:x', eventId: '$e', roomId: '!r:x', streamOrdering: 1, threadId: 'main', notify: true, highlight: false, actions: ['notify'], ts: 1, ...over };
}

/** Statements run while `fn` runs (knex's query event). */
async function statements<T>(knex: Knex, fn: () => Promise<T>): Promise<{ result: T; count: number }> {
  let count = 0;
  const on = () => count++;
  knex.on('query', on);
  try {
    const result = await fn();
    return { result, count };
  } finally {
    knex.removeListener('query', on);
  }
}

describeStorage('coalesced per-user reads', (h) => {
  test('unread counts of many users in one room, each past their own read position, in one statement', async () => {
    const storage = await h.open();
    const { push } = storage;
    const rows: PushActionRow[] = [];
    for (const [i, user] of ['@a:x', '@b:x', '@c:x'].entries()) {
      for (let so = 1; so <= 4; so++) rows.push(action({ userId: user, eventId: `$${user}${so}`, streamOrdering: so, highlight: so === 4 && i === 1, threadId: so === 2 ? '$root' : 'main' }));
    }
    rows.push(action({ userId: '@a:x', eventId: '$other', roomId: '!s:x', streamOrdering: 5 }));
    await push.addPushActions(rows);
    const none = new Map<string, number>();
    const asks: Array<[string, string, UnreadFloor]> = [
      ['@a:x', '!r:x', { after: -1, threads: none }],
      ['@b:x', '!r:x', { after: 1, threads: none }],
      ['@c:x', '!r:x', { after: 1, threads: new Map([['main', 3]]) }],
      ['@a:x', '!r:x', { after: 3, threads: none }],
      ['@d:x', '!r:x', { after: -1, threads: none }],
      ['@a:x', '!s:x', { after: -1, threads: new Map([['main', -5]]) }],
    ];
    const alone: Array<Map<string, ThreadCounts>> = [];
    for (const [u, r, floor] of asks) alone.push(await push.countUnreadPushActions(u, r, floor));
    const { result, count } = await statements(storage.knex, () => Promise.all(asks.map(([u, r, floor]) => push.countUnreadPushActions(u, r, floor))));
    assert.deepEqual(result, alone);
    const flat = (m: Map<string, ThreadCounts> | undefined) => Object.fromEntries([...(m ?? new Map<string, ThreadCounts>())].map(([t, c]) => [t, [c.notify, c.highlight]]));
    assert.deepEqual(result.map(flat), [
      { main: [3, 0], $root: [1, 0] },
      { main: [2, 1], $root: [1, 0] },
      { main: [1, 0], $root: [1, 0] },
      { main: [1, 0] },
      {},
      { main: [1, 0] },
    ]);
    assert.equal(count, 3, 'one statement per room, and one more for the user asking with two read positions');
  });

  test("one user's unread counts in many rooms, each room past its own read position, in few statements", async () => {
    const storage = await h.open();
    const { push } = storage;
    const rows: PushActionRow[] = [];
    let so = 0;
    for (let r = 0; r < 150; r++) {
      for (let k = 0; k < 3; k++) rows.push(action({ userId: '@a:x', eventId: `$a${r}-${k}`, roomId: `!r${r}:x`, streamOrdering: ++so, highlight: k === 2 }));
      // Another user's rows in the same rooms must not leak into @a's answers.
      rows.push(action({ userId: '@b:x', eventId: `$b${r}`, roomId: `!r${r}:x`, streamOrdering: ++so }));
    }
    await push.addPushActions(rows);
    // Room r is read past its second row for even r, past nothing for odd r; one room asked twice.
    const floor = (after: number): UnreadFloor => ({ after, threads: new Map() });
    const asks: Array<[string, string, UnreadFloor]> = Array.from({ length: 150 }, (_, r) => ['@a:x', `!r${r}:x`, floor(r % 2 === 0 ? r * 4 + 2 : -1)]);
    asks.push(['@a:x', '!r1:x', floor(6)], ['@a:x', '!none:x', floor(-1)]);
    const alone: Array<Map<string, ThreadCounts>> = [];
    for (const [u, r, f] of asks) alone.push(await push.countUnreadPushActions(u, r, f));
    const { result, count } = await statements(storage.knex, () => Promise.all(asks.map(([u, r, f]) => push.countUnreadPushActions(u, r, f))));
    assert.deepEqual(result, alone);
    assert.deepEqual(result[0]?.get('main'), { notify: 1, highlight: 1 });
    assert.deepEqual(result[1]?.get('main'), { notify: 3, highlight: 1 });
    assert.deepEqual(result[150]?.get('main'), { notify: 1, highlight: 1 });
    assert.deepEqual(result[151], new Map());
    assert.equal(count, 3, 'one statement per 100 rooms of one user, and one more for the room asked twice');
  });

  test("receipts of many users in the same rooms, each user's own, in one statement", async () => {
    const storage = await h.open();
    const { userData } = storage;
    const base = { roomId: '!r:x', receiptType: 'm.read', userId: '@a:x', threadId: '', eventId: '$1', data: {}, streamId: 1 };
    await userData.putReceipt(base);
    await userData.putReceipt({ ...base, userId: '@b:x', eventId: '$2', streamId: 2 });
    await userData.putReceipt({ ...base, userId: '@b:x', roomId: '!s:x', receiptType: 'm.read.private', eventId: '$3', streamId: 3 });
    await userData.putReceipt({ ...base, userId: '@b:x', receiptType: 'm.fully_read', eventId: '$4', streamId: 4 });
    const types = ['m.read', 'm.read.private'];
    const asks: Array<[string[], string]> = [
      [['!r:x', '!s:x'], '@a:x'],
      [['!s:x', '!r:x'], '@b:x'],
      [['!r:x', '!s:x'], '@c:x'],
    ];
    const { result, count } = await statements(storage.knex, () => Promise.all(asks.map(([rooms, u]) => userData.getUserReceiptsInRooms(rooms, u, types))));
    assert.deepEqual(result.map((rs) => rs.map((x) => x.eventId).sort()), [['$1'], ['$2', '$3'], []]);
    assert.equal(count, 1);
  });

  test('one-time key counts and unused fallback keys of many devices, per device, in one statement each', async () => {
    const storage = await h.open();
    const { e2e } = storage;
    await e2e.addOneTimeKeys('@a:x', 'A1', [{ algorithm: 'signed_curve25519', keyId: 'k1', key: {} }, { algorithm: 'signed_curve25519', keyId: 'k2', key: {} }], 1);
    await e2e.addOneTimeKeys('@a:x', 'A2', [{ algorithm: 'curve25519', keyId: 'k1', key: 'x' }], 1);
    await e2e.addOneTimeKeys('@b:x', 'B1', [{ algorithm: 'signed_curve25519', keyId: 'k1', key: {} }], 1);
    await e2e.setFallbackKeys('@a:x', 'A1', [{ algorithm: 'signed_curve25519', keyId: 'f', key: {} }]);
    await e2e.setFallbackKeys('@b:x', 'B1', [{ algorithm: 'signed_curve25519', keyId: 'f', key: {} }]);
    await e2e.claimKey('@b:x', 'B1', 'signed_curve25519');
    await e2e.claimKey('@b:x', 'B1', 'signed_curve25519'); // the fallback key: now used
    const devices: Array<[string, string]> = [
      ['@a:x', 'A1'],
      ['@a:x', 'A2'],
      ['@b:x', 'B1'],
      ['@c:x', 'C1'],
    ];
    const { result, count } = await statements(storage.knex, () =>
      Promise.all([
        Promise.all(devices.map(([u, d]) => e2e.countOneTimeKeys(u, d))),
        Promise.all(devices.map(([u, d]) => e2e.getUnusedFallbackKeyTypes(u, d))),
      ]),
    );
    assert.deepEqual(result[0], [{ signed_curve25519: 2 }, { curve25519: 1 }, {}, {}]);
    assert.deepEqual(result[1], [['signed_curve25519'], [], [], []]);
    assert.equal(count, 2);
  });

  test('the presence rows read as syncs start, one user each, in one statement', async () => {
    const storage = await h.open();
    const { userData } = storage;
    await userData.putPresence({ userId: '@a:x', state: 'online', statusMsg: 'hi', lastActiveTs: 10, currentlyActive: true, streamId: 1 });
    await userData.putPresence({ userId: '@b:x', state: 'unavailable', statusMsg: null, lastActiveTs: 20, currentlyActive: false, streamId: 2 });
    const { result, count } = await statements(storage.knex, () => Promise.all(['@a:x', '@b:x', '@c:x', '@a:x'].map((u) => userData.getPresence([u]))));
    assert.deepEqual(result.map((rs) => rs.map((r) => [r.userId, r.state])), [[['@a:x', 'online']], [['@b:x', 'unavailable']], [], [['@a:x', 'online']]]);
    assert.notEqual(result[0]?.[0], result[3]?.[0], 'each caller gets its own row object');
    assert.equal(count, 1);
  });
});
