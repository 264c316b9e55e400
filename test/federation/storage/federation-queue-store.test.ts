import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../../helpers/storage.js';

const T = 1_750_000_000_000;

describeStorage('federation queue store', (h) => {
  test('a claimed transaction holds the oldest items up to the limits and survives until completed', async () => {
    const { federation: q } = await h.open();
    await q.enqueuePdus(['b.test'], Array.from({ length: 5 }, (_, i) => ({ eventId: `$e${i}`, roomId: '!r:a.test' })), T);
    await q.enqueueEdus(['b.test'], [1, 2, 3].map((n) => ({ eduType: 'm.typing', content: { n } })), T);
    const txn = await q.claimTransaction('b.test', 'txn1', T + 1, { maxPdus: 3, maxEdus: 2 });
    assert.ok(txn);
    assert.equal(txn.txnId, 'txn1');
    assert.equal(txn.originServerTs, T + 1);
    assert.deepEqual(txn.pdus.map((p) => p.eventId), ['$e0', '$e1', '$e2']);
    assert.deepEqual(txn.edus.map((e) => e.content), [{ n: 1 }, { n: 2 }]);
    // A second claim while one is in flight is refused; the pending one is found again as it was.
    await assert.rejects(q.claimTransaction('b.test', 'txn2', T, { maxPdus: 50, maxEdus: 100 }));
    assert.deepEqual(await q.getPendingTransaction('b.test'), txn);
    await q.completeTransaction('b.test', 'txn1');
    assert.equal(await q.getPendingTransaction('b.test'), null);
    assert.deepEqual(await q.countQueued('b.test'), { pdus: 2, edus: 1 });
    const next = await q.claimTransaction('b.test', 'txn2', T + 2, { maxPdus: 50, maxEdus: 100 });
    assert.deepEqual(next?.pdus.map((p) => p.eventId), ['$e3', '$e4']);
    assert.deepEqual(next?.edus.map((e) => e.content), [{ n: 3 }]);
  });

  test('nothing queued claims nothing', async () => {
    const { federation: q } = await h.open();
    assert.equal(await q.claimTransaction('b.test', 'x', T, { maxPdus: 50, maxEdus: 100 }), null);
    assert.equal(await q.getPendingTransaction('b.test'), null);
  });

  test('a PDU queued twice for a destination is sent once; destinations are independent', async () => {
    const { federation: q } = await h.open();
    await q.enqueuePdus(['b.test', 'c.test'], [{ eventId: '$x', roomId: '!r:a.test' }], T);
    await q.enqueuePdus(['b.test'], [{ eventId: '$x', roomId: '!r:a.test' }], T + 5);
    assert.deepEqual(await q.countQueued('b.test'), { pdus: 1, edus: 0 });
    assert.deepEqual(await q.countQueued('c.test'), { pdus: 1, edus: 0 });
    assert.deepEqual(
      (await q.destinationsWithPending()).map((d) => d.destination),
      ['b.test', 'c.test'],
    );
  });

  test('a coalesce key replaces a waiting EDU but not one already in flight', async () => {
    const { federation: q } = await h.open();
    await q.enqueueEdus(['b.test'], [{ eduType: 'm.typing', content: { v: 1 }, coalesceKey: '!r' }], T);
    await q.enqueueEdus(['b.test'], [{ eduType: 'm.typing', content: { v: 2 }, coalesceKey: '!r' }], T);
    const txn = await q.claimTransaction('b.test', 't', T, { maxPdus: 50, maxEdus: 100 });
    assert.deepEqual(txn?.edus.map((e) => e.content), [{ v: 2 }]);
    await q.enqueueEdus(['b.test'], [{ eduType: 'm.typing', content: { v: 3 }, coalesceKey: '!r' }], T);
    assert.deepEqual((await q.getPendingTransaction('b.test'))?.edus.map((e) => e.content), [{ v: 2 }]);
    assert.deepEqual(await q.countQueued('b.test'), { pdus: 0, edus: 2 });
  });

  test('retry state round-trips and shows up beside pending destinations', async () => {
    const { federation: q } = await h.open();
    assert.equal(await q.getDestination('b.test'), null);
    const state = { destination: 'b.test', failureCount: 3, retryIntervalMs: 40_000, nextAttemptTs: T + 40_000, lastFailureTs: T, lastSuccessTs: null };
    await q.setDestinationRetry(state);
    assert.deepEqual(await q.getDestination('b.test'), state);
    await q.enqueuePdus(['b.test'], [{ eventId: '$x', roomId: '!r:a.test' }], T);
    // Claiming keeps the retry state; setting retry state keeps the claimed transaction.
    await q.claimTransaction('b.test', 't', T, { maxPdus: 50, maxEdus: 100 });
    assert.deepEqual(await q.getDestination('b.test'), state);
    await q.setDestinationRetry({ ...state, failureCount: 4 });
    assert.equal((await q.getPendingTransaction('b.test'))?.txnId, 't');
    assert.deepEqual(await q.destinationsWithPending(), [{ destination: 'b.test', nextAttemptTs: T + 40_000 }]);
  });
});
