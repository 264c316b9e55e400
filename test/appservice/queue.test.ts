import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import { createAsClient } from '../../src/appservice/as-client.js';
import { AppserviceQueue, DEFAULT_QUEUE_OPTIONS, type QueueOptions } from '../../src/appservice/queue.js';
import { AppserviceEntry } from '../../src/appservice/registry.js';
import type { Registration } from '../../src/appservice/registration.js';
import type { KnexStorage } from '../../src/storage/knex/index.js';
import { describeStorage, testLogger } from '../helpers/storage.js';
import { startFakeAppservice, waitFor } from './fake-appservice.js';

// The transaction queue against a real store: what it scans, in which order, and what stays stored.

const HS_TOKEN = 'hs-token-queue-test';
const client = createAsClient();
after(() => client.close());
const ROOM = '!bridged:example.org';
const GHOST = '@_q_ghost:example.org';

function registration(url: string): Registration {
  return {
    id: 'q',
    url,
    asToken: 'as-token-queue-test',
    hsToken: HS_TOKEN,
    senderLocalpart: 'qbot',
    namespaces: { users: [{ regex: '@_q_.*', exclusive: true }], aliases: [], rooms: [] },
    rateLimited: false,
    protocols: [],
    receiveEphemeral: false,
    msc3202: false,
    msc4190: false,
    source: 'queue.test',
  } as Registration;
}

/** A message from the service's own user (so the service is interested) stored at `so`, as the room writer would. */
async function insertMessage(knex: Knex, eventId: string, so: number): Promise<void> {
  const pdu = { room_id: ROOM, sender: GHOST, type: 'm.room.message', content: { msgtype: 'm.text', body: eventId }, origin_server_ts: 1000 + so, prev_events: [], auth_events: [], depth: so, hashes: { sha256: 'x' }, signatures: {} };
  await knex('events').insert({
    event_id: eventId,
    room_id: ROOM,
    stream_ordering: so,
    depth: so,
    type: pdu.type,
    state_key: null,
    sender: GHOST,
    origin_server_ts: pdu.origin_server_ts,
    json: JSON.stringify(pdu),
    outlier: false,
    soft_failed: false,
    rejected_reason: null,
    replaces_state: null,
    redacted_by: null,
    received_ts: 5000 + so,
  });
}

/** A queue for the fake service on `storage`, started, once it has stored its starting position. */
async function startQueue(storage: KnexStorage, url: string, options: Partial<QueueOptions> = {}): Promise<AppserviceQueue> {
  const queue = new AppserviceQueue(new AppserviceEntry(registration(url), 'example.org'), {
    storage,
    logger: testLogger(),
    now: Date.now,
    options: { ...DEFAULT_QUEUE_OPTIONS, ...options },
    ephemeral: { drain: () => [], hasPending: () => false },
    client,
  });
  queue.start();
  for (let i = 0; i < 100 && (await storage.appservices.getEventsPosition('q')) === null; i++) await sleep(10);
  return queue;
}

describeStorage('appservice queue', (h) => {
  test('an event committed above one still being written waits for it, so neither is skipped', async () => {
    const storage = await h.open();
    const fake = await startFakeAppservice(HS_TOKEN);
    const queue = await startQueue(storage, fake.url);
    try {
      const ids = await storage.streamIdGenerator('events', 'stream_ordering');
      // Two rooms' writes: the lower id is still being written when the higher one commits.
      const low = ids.getNext();
      const high = ids.getNext();
      await insertMessage(storage.knex, '$high', high.id);
      high.done();
      queue.wake();
      await sleep(300);
      assert.deepEqual(fake.events.map((e) => e.event_id), [], 'nothing past a write still in flight');
      await insertMessage(storage.knex, '$low', low.id);
      low.done();
      queue.wake();
      await waitFor(() => fake.events.length >= 2, 10_000, 'both events');
      assert.deepEqual(fake.events.map((e) => e.event_id), ['$low', '$high']);
    } finally {
      await queue.close();
      await fake.close();
      await storage.close();
    }
  });

  test('a delivered transaction is not left stored once the queue is idle, and the position is saved', async () => {
    const storage = await h.open();
    const fake = await startFakeAppservice(HS_TOKEN);
    const queue = await startQueue(storage, fake.url, { maxEvents: 2 });
    try {
      const ids = await storage.streamIdGenerator('events', 'stream_ordering');
      const batch = ids.getNextMany(5);
      for (const id of batch.ids) await insertMessage(storage.knex, `$m${id}`, id);
      batch.done();
      queue.wake();
      await waitFor(() => fake.events.length >= 5, 10_000, 'five events');
      assert.deepEqual(fake.events.map((e) => e.event_id), batch.ids.map((id) => `$m${id}`));
      assert.equal(new Set(fake.puts.map((p) => p.txnId)).size, 3, 'two events per transaction');
      for (let i = 0; i < 100 && (await storage.appservices.countPendingTxns('q')).txns > 0; i++) await sleep(10);
      assert.deepEqual(await storage.appservices.countPendingTxns('q'), { txns: 0, events: 0 });
      assert.equal(await storage.appservices.getEventsPosition('q'), batch.ids.at(-1));
      const status = await queue.status();
      assert.equal(status.pendingTransactions, 0);
      assert.equal(status.deliveredEvents, 5);
    } finally {
      await queue.close();
      await fake.close();
      await storage.close();
    }
  });
});
