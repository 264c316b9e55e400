import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { DEFAULT_IP_RANGE_BLOCKLIST } from '../../../src/config/defaults.js';
import { generateSigningKey } from '../../../src/crypto/index.js';
import { createFederationService, type BackoffPolicy, type FederationService } from '../../../src/federation/outbound/index.js';
import type { Storage } from '../../../src/storage/interfaces/index.js';
import type { JsonObject } from '../../../src/types/json.js';
import { testConfig } from '../../helpers/http.js';
import { describeStorage } from '../../helpers/storage.js';
import { sendJson, startFakeServer, type FakeServer, type ReceivedRequest } from '../helpers.js';

const originKey = generateSigningKey('origin');

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function service(storage: Storage, dest: FakeServer, backoff: Partial<BackoffPolicy>): FederationService {
  return createFederationService({
    config: testConfig({
      serverName: 'origin.test',
      federationTestOverrides: { 'dest.test': `127.0.0.1:${dest.port}` },
      // The real default: the override must still reach loopback.
      ipRangeBlacklist: [...DEFAULT_IP_RANGE_BLOCKLIST],
    }),
    logger: pino({ level: 'silent' }),
    storage,
    signingKeys: [originKey],
    now: Date.now,
    pdus: {
      async loadPdus(ids) {
        return new Map(ids.map((id) => [id, { event_id: id, type: 'm.room.message' } as JsonObject]));
      },
    },
    backoff: { jitter: 0, ...backoff },
  });
}

/** A destination that checks our signature, answers per `status`, and tracks how many sends overlap. */
async function destination(status: (n: number) => number) {
  let inFlight = 0;
  let maxInFlight = 0;
  let n = 0;
  const server = await startFakeServer('dest.test', { 'origin.test': { [originKey.keyId]: originKey.publicKeyBase64 } }, async (req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    const code = status(n++);
    sendJson(res, code, code === 200 ? { pdus: {} } : { errcode: 'M_UNKNOWN', error: 'try later' });
  });
  return { server, maxInFlight: () => maxInFlight };
}

const sends = (s: FakeServer): ReceivedRequest[] => s.requests.filter((r) => r.method === 'PUT');
const body = (r: ReceivedRequest | undefined) => r?.body as { origin: string; origin_server_ts: number; pdus: JsonObject[]; edus: JsonObject[] };

describeStorage('transaction sender', (h) => {
  test('splits the queue into signed transactions of at most 50 PDUs and 100 EDUs, one at a time', async () => {
    const storage = await h.open();
    const dest = await destination(() => 200);
    const fed = service(storage, dest.server, {});
    try {
      await fed.sender.sendEdus(['dest.test'], Array.from({ length: 150 }, (_, i) => ({ eduType: 'm.typing', content: { i } })));
      await fed.sender.sendPdus(['dest.test', 'origin.test'], Array.from({ length: 120 }, (_, i) => ({ eventId: `$e${i}`, roomId: '!r:origin.test' })));
      await waitFor('queue drained', async () => (await storage.federation.countQueued('dest.test')).pdus + (await storage.federation.countQueued('dest.test')).edus === 0);
      await fed.sender.idle();
      const txns = sends(dest.server);
      assert.ok(txns.every((t) => t.verifiedOrigin === 'origin.test'), 'every transaction carries a valid X-Matrix signature');
      assert.ok(txns.every((t) => /^\/_matrix\/federation\/v1\/send\/[^/]+$/.test(t.url)));
      assert.equal(new Set(txns.map((t) => t.url)).size, txns.length, 'transaction ids are unique');
      const pdus = txns.flatMap((t) => body(t).pdus.map((p) => p.event_id));
      const edus = txns.flatMap((t) => body(t).edus.map((e) => (e.content as { i: number }).i));
      assert.deepEqual(pdus, Array.from({ length: 120 }, (_, i) => `$e${i}`));
      assert.deepEqual(edus, Array.from({ length: 150 }, (_, i) => i));
      assert.ok(txns.every((t) => body(t).pdus.length <= 50 && body(t).edus.length <= 100));
      assert.ok(txns.every((t) => body(t).origin === 'origin.test' && Number.isSafeInteger(body(t).origin_server_ts)));
      assert.equal(dest.maxInFlight(), 1);
      // Nothing was queued for ourselves.
      assert.deepEqual(await storage.federation.countQueued('origin.test'), { pdus: 0, edus: 0 });
    } finally {
      await fed.close();
      await dest.server.close();
    }
  });

  test('a failing destination is retried with growing backoff under the same transaction id', async () => {
    const storage = await h.open();
    const dest = await destination((n) => (n < 3 ? 500 : 200));
    const fed = service(storage, dest.server, { initialMs: 40, multiplier: 2, maxMs: 1000 });
    try {
      await fed.sender.sendPdus(['dest.test'], [{ eventId: '$a', roomId: '!r:origin.test' }]);
      await waitFor('delivery', () => sends(dest.server).length === 4);
      const txns = sends(dest.server);
      assert.equal(new Set(txns.map((t) => t.url)).size, 1, 'every retry reuses the transaction id');
      assert.deepEqual(txns.map((t) => body(t).origin_server_ts), Array(4).fill(body(txns[0]).origin_server_ts));
      await waitFor('queue drained', async () => (await storage.federation.countQueued('dest.test')).pdus === 0);
      await fed.sender.idle();
      const state = await storage.federation.getDestination('dest.test');
      assert.equal(state?.failureCount, 0);
      assert.equal(state?.nextAttemptTs, 0);
      assert.ok(state?.lastFailureTs !== null);
    } finally {
      await fed.close();
      await dest.server.close();
    }
  });

  test('the backoff interval doubles up to its cap and is stored durably', async () => {
    const storage = await h.open();
    const dest = await destination(() => 503);
    const fed = service(storage, dest.server, { initialMs: 20, multiplier: 2, maxMs: 80 });
    try {
      await fed.sender.sendEdus(['dest.test'], [{ eduType: 'm.presence', content: {} }]);
      await waitFor('five attempts', () => sends(dest.server).length >= 5);
      const state = await storage.federation.getDestination('dest.test');
      assert.ok(state && state.failureCount >= 4);
      assert.equal(state.retryIntervalMs, 80);
    } finally {
      await fed.close();
      await dest.server.close();
    }
  });

  test('a destination that contacts us is retried at once instead of after its backoff', async () => {
    const storage = await h.open();
    const dest = await destination((n) => (n === 0 ? 500 : 200));
    const fed = service(storage, dest.server, { initialMs: 10 * 60_000 });
    try {
      await fed.sender.sendPdus(['dest.test'], [{ eventId: '$a', roomId: '!r:origin.test' }]);
      await waitFor('first attempt', async () => (await storage.federation.getDestination('dest.test'))?.failureCount === 1);
      fed.sender.markDestinationUp('dest.test');
      await waitFor('delivery', () => sends(dest.server).length === 2);
      assert.equal(sends(dest.server)[0]?.url, sends(dest.server)[1]?.url);
    } finally {
      await fed.close();
      await dest.server.close();
    }
  });

  test('after a restart the pending transaction is resent with the same id, then the rest of the queue', async () => {
    const storage = await h.open();
    const down = await destination(() => 500);
    const first = service(storage, down.server, { initialMs: 30 });
    await first.sender.sendPdus(['dest.test'], Array.from({ length: 60 }, (_, i) => ({ eventId: `$e${i}`, roomId: '!r:origin.test' })));
    await waitFor('a failed attempt', () => sends(down.server).length >= 1);
    await first.close();
    await down.server.close();
    const pending = await storage.federation.getPendingTransaction('dest.test');
    assert.ok(pending);

    const up = await destination(() => 200);
    const second = service(storage, up.server, { initialMs: 30 });
    try {
      await waitFor('queue drained', async () => (await storage.federation.countQueued('dest.test')).pdus === 0);
      await second.sender.idle();
      const txns = sends(up.server);
      assert.equal(txns[0]?.url, `/_matrix/federation/v1/send/${pending.txnId}`);
      assert.deepEqual(txns.flatMap((t) => body(t).pdus.map((p) => p.event_id)), Array.from({ length: 60 }, (_, i) => `$e${i}`));
    } finally {
      await second.close();
      await up.server.close();
    }
  });
});
