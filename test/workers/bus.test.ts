import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonValue } from '../../src/types/json.js';
import type { Bus } from '../../src/workers/index.js';
import { BusClosedError, InProcessBus, RedisBus, createBus } from '../../src/workers/index.js';
import { redisSkipReason, redisTestConfig, uniqueChannelPrefix } from '../helpers/redis.js';
import { testLogger } from '../helpers/storage.js';

const WAIT_MS = 2000;

/** Collects messages and lets a test wait until a given number arrived. */
function collector() {
  const received: JsonValue[] = [];
  let wake: (() => void) | null = null;
  const handler = (message: JsonValue) => {
    received.push(message);
    wake?.();
  };
  const waitFor = async (count: number): Promise<JsonValue[]> => {
    const deadline = Date.now() + WAIT_MS;
    while (received.length < count) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`expected ${count} messages, got ${received.length}`);
      await Promise.race([new Promise<void>((r) => (wake = r)), sleep(remaining)]);
    }
    return received;
  };
  return { received, handler, waitFor };
}

/** Lets anything already published arrive, so a test can assert that something did not. */
async function settle(bus: Bus, probeChannel: string): Promise<void> {
  const probe = collector();
  const unsubscribe = await bus.subscribe(probeChannel, probe.handler);
  await bus.publish(probeChannel, 'probe');
  await probe.waitFor(1);
  await unsubscribe();
}

function busContract(name: string, skip: string | false, makeBus: () => Promise<Bus>): void {
  describe(`bus contract [${name}]`, { skip }, () => {
    const opened: Bus[] = [];
    const open = async () => {
      const bus = await makeBus();
      opened.push(bus);
      return bus;
    };
    after(() => Promise.all(opened.map((b) => b.close())));

    test('a subscriber receives JSON messages in publish order', async () => {
      const bus = await open();
      const c = collector();
      await bus.subscribe('ordered', c.handler);
      const messages: JsonValue[] = [{ stream: 'events', position: 1 }, 'two', 3, null, [true, { nested: ['ü'] }]];
      for (let i = 4; i < 50; i++) messages.push({ i });
      for (const m of messages) await bus.publish('ordered', m);
      assert.deepEqual(await c.waitFor(messages.length), messages);
    });

    test('publishing with nobody listening succeeds', async () => {
      const bus = await open();
      await bus.publish('nobody-here', { x: 1 });
    });

    test('every subscriber of a channel gets the message, other channels do not', async () => {
      const bus = await open();
      const a = collector();
      const b = collector();
      const other = collector();
      await bus.subscribe('fanout', a.handler);
      await bus.subscribe('fanout', b.handler);
      await bus.subscribe('fanout-other', other.handler);
      await bus.publish('fanout', 'hello');
      assert.deepEqual(await a.waitFor(1), ['hello']);
      assert.deepEqual(await b.waitFor(1), ['hello']);
      await settle(bus, 'fanout-settle');
      assert.deepEqual(other.received, []);
    });

    test('handlers never run inside publish', async () => {
      const bus = await open();
      const c = collector();
      await bus.subscribe('async', c.handler);
      const publishing = bus.publish('async', 1);
      assert.equal(c.received.length, 0);
      await publishing;
      await c.waitFor(1);
    });

    test('after unsubscribing, a handler hears nothing more while others still do', async () => {
      const bus = await open();
      const leaving = collector();
      const staying = collector();
      const unsubscribe = await bus.subscribe('unsub', leaving.handler);
      await bus.subscribe('unsub', staying.handler);
      await bus.publish('unsub', 1);
      await leaving.waitFor(1);
      await unsubscribe();
      await unsubscribe();
      await bus.publish('unsub', 2);
      assert.deepEqual(await staying.waitFor(2), [1, 2]);
      await settle(bus, 'unsub-settle');
      assert.deepEqual(leaving.received, [1]);
    });

    test('the same function subscribed twice is two subscriptions', async () => {
      const bus = await open();
      const c = collector();
      const first = await bus.subscribe('twice', c.handler);
      await bus.subscribe('twice', c.handler);
      await bus.publish('twice', 'x');
      await c.waitFor(2);
      await first();
      await bus.publish('twice', 'y');
      assert.deepEqual(await c.waitFor(3), ['x', 'x', 'y']);
    });

    test('a channel can be left entirely and joined again', async () => {
      const bus = await open();
      const c = collector();
      const unsubscribe = await bus.subscribe('rejoin', c.handler);
      await unsubscribe();
      await bus.subscribe('rejoin', c.handler);
      await bus.publish('rejoin', 'back');
      assert.deepEqual(await c.waitFor(1), ['back']);
    });

    test('each handler gets its own copy of the message', async () => {
      const bus = await open();
      const seen: JsonValue[] = [];
      const mutate = (m: JsonValue) => {
        if (typeof m === 'object' && m !== null && !Array.isArray(m)) m.touched = true;
      };
      await bus.subscribe('copies', mutate);
      const c = collector();
      await bus.subscribe('copies', c.handler);
      const original = { value: 1 };
      await bus.publish('copies', original);
      seen.push(...(await c.waitFor(1)));
      assert.deepEqual(seen, [{ value: 1 }]);
      assert.deepEqual(original, { value: 1 });
    });

    test('a failing handler affects neither other handlers nor later messages', async () => {
      const bus = await open();
      await bus.subscribe('faulty', () => {
        throw new Error('sync failure');
      });
      await bus.subscribe('faulty', () => Promise.reject(new Error('async failure')));
      const c = collector();
      await bus.subscribe('faulty', c.handler);
      await bus.publish('faulty', 1);
      await bus.publish('faulty', 2);
      assert.deepEqual(await c.waitFor(2), [1, 2]);
    });

    test('a message that is not JSON is refused at publish', async () => {
      const bus = await open();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await assert.rejects(bus.publish('bad', cyclic as unknown as JsonValue), TypeError);
      await assert.rejects(bus.publish('', 1), TypeError);
    });

    test('a closed bus refuses to publish or subscribe, and closing twice is fine', async () => {
      const bus = await makeBus();
      await bus.close();
      await bus.close();
      await assert.rejects(bus.publish('closed', 1), BusClosedError);
      await assert.rejects(bus.subscribe('closed', () => undefined), BusClosedError);
    });
  });
}

const logger = testLogger();
const redis = redisTestConfig();
const redisSkip = redisSkipReason();
// One namespace for the whole run: buses opened by one test talk to each other, not to other runs.
const prefix = uniqueChannelPrefix();

busContract('in-process', false, () => createBus({ redis: { enabled: false, host: '', port: 0, password: null, dbid: 0 }, channelPrefix: '' }, logger));
busContract('redis', redisSkip, () => {
  if (redis === null) throw new Error('unreachable: suite is skipped without Redis');
  return createBus({ redis, channelPrefix: prefix }, logger);
});

describe('bus selection', () => {
  test('in process unless redis is enabled', async () => {
    const bus = await createBus({ redis: { enabled: false, host: 'unused', port: 1, password: null, dbid: 0 }, channelPrefix: 'x:' }, logger);
    assert.ok(bus instanceof InProcessBus);
    assert.equal(bus.transport, 'in-process');
    await bus.close();
  });

  test('an unreachable Redis fails at startup instead of later', async () => {
    await assert.rejects(
      createBus({ redis: { enabled: true, host: '127.0.0.1', port: 1, password: null, dbid: 0 }, channelPrefix: 'x:' }, logger),
    );
  });
});

describe('redis bus across processes', { skip: redisSkip }, () => {
  const opened: Bus[] = [];
  after(() => Promise.all(opened.map((b) => b.close())));
  const open = async (channelPrefix: string) => {
    if (redis === null) throw new Error('unreachable: suite is skipped without Redis');
    const bus = await createBus({ redis, channelPrefix }, logger);
    opened.push(bus);
    return bus;
  };

  test('a message published by one worker reaches a subscriber in another', async () => {
    const workerPrefix = uniqueChannelPrefix();
    const main = await open(workerPrefix);
    const worker = await open(workerPrefix);
    assert.ok(main instanceof RedisBus);
    const c = collector();
    await worker.subscribe('events', c.handler);
    await main.publish('events', { position: 7 });
    assert.deepEqual(await c.waitFor(1), [{ position: 7 }]);
  });

  test('buses with different prefixes do not hear each other', async () => {
    const mine = await open(uniqueChannelPrefix());
    const theirs = await open(uniqueChannelPrefix());
    const c = collector();
    await mine.subscribe('events', c.handler);
    await theirs.publish('events', 'not for you');
    await settle(mine, 'settle');
    assert.deepEqual(c.received, []);
  });
});
