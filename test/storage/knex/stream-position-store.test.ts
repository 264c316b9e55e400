import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../../helpers/storage.js';

describeStorage('stream position store', (h) => {
  test('an unknown consumer has no position', async () => {
    const { streamPositions } = await h.open();
    assert.equal(await streamPositions.getPosition('events', 'master'), null);
    assert.deepEqual(await streamPositions.getPositions('events'), new Map());
  });

  test('a position set is read back and can be overwritten, also backwards', async () => {
    const { streamPositions } = await h.open();
    await streamPositions.setPosition('events', 'master', 41);
    assert.equal(await streamPositions.getPosition('events', 'master'), 41);
    await streamPositions.setPosition('events', 'master', Number.MAX_SAFE_INTEGER);
    assert.equal(await streamPositions.getPosition('events', 'master'), Number.MAX_SAFE_INTEGER);
    await streamPositions.setPosition('events', 'master', 3);
    assert.equal(await streamPositions.getPosition('events', 'master'), 3);
  });

  test('positions are kept per stream and per instance', async () => {
    const { streamPositions } = await h.open();
    await streamPositions.setPosition('events', 'federation_sender1', 10);
    await streamPositions.setPosition('events', 'federation_sender2', 20);
    await streamPositions.setPosition('receipts', 'federation_sender1', 5);
    assert.deepEqual(
      await streamPositions.getPositions('events'),
      new Map([
        ['federation_sender1', 10],
        ['federation_sender2', 20],
      ]),
    );
    assert.equal(await streamPositions.getPosition('receipts', 'federation_sender1'), 5);
    assert.equal(await streamPositions.getPosition('receipts', 'federation_sender2'), null);
  });

  test('a position that is not a safe integer is refused', async () => {
    const { streamPositions } = await h.open();
    await assert.rejects(streamPositions.setPosition('events', 'master', 1.5), RangeError);
    await assert.rejects(streamPositions.setPosition('events', 'master', 2 ** 60), RangeError);
    assert.equal(await streamPositions.getPosition('events', 'master'), null);
  });

  test('positions survive reopening the database', async () => {
    const db = await h.createDatabase();
    const first = await db.open();
    await first.streamPositions.setPosition('events', 'master', 77);
    await first.close();
    const second = await db.open();
    assert.equal(await second.streamPositions.getPosition('events', 'master'), 77);
  });
});
