import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../../helpers/storage.js';
import { TO_DEVICE_SYNC_LIMIT } from '../../../src/users/e2e/index.js';
import { e2eHarness, requester, SERVER } from './fixtures.js';

const ALICE = `@alice:${SERVER}`;
const BOB = `@bob:${SERVER}`;

describeStorage('e2e to-device', (h) => {
  test('"*" reaches every device, a named device only that one, unknown devices nobody; a notice wakes the recipients', async () => {
    const storage = await h.open();
    const { service, notices } = e2eHarness(storage);
    for (const d of ['B1', 'B2', 'B3']) await storage.accounts.ensureDevice(BOB, d, null, 1);
    await service.sendToDevice(requester(ALICE, 'A1'), 'm.test', 't1', {
      [BOB]: { '*': { to: 'all' }, B2: { to: 'b2' }, NOPE: { to: 'nobody' } },
    });
    const { toDevice } = await service.currentPositions();
    const got = async (d: string) => (await service.syncToDevice(BOB, d, null, toDevice)).events;
    assert.deepEqual(await got('B1'), [{ type: 'm.test', sender: ALICE, content: { to: 'all' } }]);
    assert.deepEqual(await got('B2'), [{ type: 'm.test', sender: ALICE, content: { to: 'b2' } }]);
    assert.equal((await got('B3')).length, 1);
    assert.deepEqual(await got('NOPE'), []);
    assert.deepEqual(notices, [{ stream: 'to_device', position: toDevice, userIds: [BOB] }]);
  });

  test('a retried transaction is stored once; another txn id is another message', async () => {
    const storage = await h.open();
    const { service, notices } = e2eHarness(storage);
    await storage.accounts.ensureDevice(BOB, 'B1', null, 1);
    const send = (txn: string) => service.sendToDevice(requester(ALICE, 'A1'), 'm.test', txn, { [BOB]: { B1: { txn } } });
    await send('t1');
    await send('t1');
    await send('t2');
    const { toDevice } = await service.currentPositions();
    const r = await service.syncToDevice(BOB, 'B1', null, toDevice);
    assert.deepEqual(r.events.map((e) => (e.content as { txn: string }).txn), ['t1', 't2']);
    assert.equal(notices.length, 2);
  });

  test('messages stay until a sync with a later token acknowledges them; a lost response is delivered again', async () => {
    const storage = await h.open();
    const { service } = e2eHarness(storage);
    await storage.accounts.ensureDevice(BOB, 'B1', null, 1);
    await service.sendToDevice(requester(ALICE, 'A1'), 'm.test', 't1', { [BOB]: { B1: { n: 1 } } });
    const p1 = (await service.currentPositions()).toDevice;
    const first = await service.syncToDevice(BOB, 'B1', null, p1);
    assert.equal(first.events.length, 1);
    assert.equal(first.position, p1);
    // The client never saw that response and syncs again from scratch: the message is still there.
    assert.equal((await service.syncToDevice(BOB, 'B1', null, p1)).events.length, 1);
    await service.sendToDevice(requester(ALICE, 'A1'), 'm.test', 't2', { [BOB]: { B1: { n: 2 } } });
    const p2 = (await service.currentPositions()).toDevice;
    const second = await service.syncToDevice(BOB, 'B1', first.position, p2);
    assert.deepEqual(second.events.map((e) => (e.content as { n: number }).n), [2]);
    // Acknowledged messages are gone for good.
    assert.deepEqual((await service.syncToDevice(BOB, 'B1', null, p2)).events.map((e) => (e.content as { n: number }).n), [2]);
    assert.deepEqual((await service.syncToDevice(BOB, 'B1', second.position, p2)).events, []);
  });

  test('a long queue is delivered in pages of the limit, the token stopping at the last message delivered', async () => {
    const storage = await h.open();
    const { service } = e2eHarness(storage);
    await storage.accounts.ensureDevice(BOB, 'B1', null, 1);
    const total = TO_DEVICE_SYNC_LIMIT + 5;
    for (let i = 0; i < total; i++) await service.sendToDevice(requester(ALICE, 'A1'), 'm.test', `t${i}`, { [BOB]: { B1: { i } } });
    const upTo = (await service.currentPositions()).toDevice;
    const page1 = await service.syncToDevice(BOB, 'B1', null, upTo);
    assert.equal(page1.events.length, TO_DEVICE_SYNC_LIMIT);
    assert.ok(page1.position < upTo);
    const page2 = await service.syncToDevice(BOB, 'B1', page1.position, upTo);
    assert.deepEqual(page2.events.map((e) => (e.content as { i: number }).i), [100, 101, 102, 103, 104]);
    assert.equal(page2.position, upTo);
  });

  test('messages to remote users are not stored locally (federation not available) and the request still succeeds', async () => {
    const storage = await h.open();
    const { service, notices } = e2eHarness(storage);
    await service.sendToDevice(requester(ALICE, 'A1'), 'm.test', 't1', { '@carol:remote.example': { '*': {} } });
    assert.deepEqual(notices, []);
  });
});
