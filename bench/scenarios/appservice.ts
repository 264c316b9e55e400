import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ScenarioResult } from '../run.js';
import { call, createRoom, pool, registerUsers, sendText, type User } from '../lib/client.js';
import { engines, type Engine } from '../lib/engines.js';
import { startBenchServer } from '../lib/server.js';
import { percentile, round } from '../lib/stats.js';
import { startFakeAppservice, waitFor } from '../../test/appservice/fake-appservice.js';

// Scenario 8, appservice delivery: one bridge (the tests' fake service, in this process) has a user in a room;
// `clients` users send `messages` messages into it as fast as they can, and the bridge receives them in
// transactions. Figures: events/s until the bridge holds the last message, and latency from the start of a
// send request to the event's arrival at the bridge. Ceiling in the same run: the same sends into a room the
// bridge has no interest in (the send path alone): the ratio is what delivery costs on top of sending.

const HS_TOKEN = 'bench-hs-token';
const AS_TOKEN = 'bench-as-token';

interface Sent {
  /** performance.now() when each send request started, by event id. */
  started: Map<string, number>;
  /** Send request latencies, ms. */
  latencies: number[];
  t0: number;
  /** ms from t0 to the last send's response. */
  sendMs: number;
}

/** `messages` sends split over the clients, each client sending its next as soon as the last returned. */
async function sendAll(baseUrl: string, users: User[], roomId: string, messages: number, tag: string): Promise<Sent> {
  const started = new Map<string, number>();
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    users.map(async (u) => {
      while (next < messages) {
        const i = next++;
        const t = performance.now();
        const id = await sendText(baseUrl, u, roomId, `${tag} ${i}`);
        latencies.push(performance.now() - t);
        started.set(id, t);
      }
    }),
  );
  return { started, latencies, t0, sendMs: performance.now() - t0 };
}

async function runEngine(engine: Engine, o: { messages: number; clients: number; child: boolean }): Promise<Array<Record<string, unknown>>> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-bench-as-'));
  const receiver = await startFakeAppservice(HS_TOKEN);
  try {
    const registration = join(dir, 'bench-bridge.yaml');
    await writeFile(
      registration,
      `id: bench\nurl: ${receiver.url}\nas_token: ${AS_TOKEN}\nhs_token: ${HS_TOKEN}\nsender_localpart: benchbot\nrate_limited: false\nnamespaces:\n  users:\n    - regex: "@_bench_.*"\n      exclusive: true\n`,
    );
    const server = await startBenchServer(engine, { child: o.child, extra: { app_service_config_files: [registration] } });
    try {
      const users = await registerUsers(server.baseUrl, 'as-sender', o.clients);
      const owner = users[0] as User;
      const bridged = await createRoom(server.baseUrl, owner);
      const plain = await createRoom(server.baseUrl, owner);
      await pool(users.slice(1), 8, async (u) => {
        for (const r of [bridged, plain]) await call(server.baseUrl, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(r)}`, u.token, {});
      });
      await call(server.baseUrl, 'POST', '/_matrix/client/v3/register', AS_TOKEN, { type: 'm.login.application_service', username: '_bench_ghost', inhibit_login: true });
      const ghost = `@_bench_ghost:${owner.userId.split(':')[1]}`;
      await call(server.baseUrl, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(bridged)}?user_id=${encodeURIComponent(ghost)}`, AS_TOKEN, {});
      // Untimed sends into both rooms first (connections opened, code paths warm), and the timed ones start
      // once the bridge has everything sent so far, the setup's events included.
      await sendAll(server.baseUrl, users, plain, o.clients * 5, 'warm-up');
      const warm = await sendAll(server.baseUrl, users, bridged, o.clients * 5, 'warm-up');
      await waitFor(() => [...warm.started.keys()].every((id) => receiver.arrivedAt.has(id)), 30_000, 'the warm-up at the bridge');

      // Plain, bridged, bridged, plain, half the messages each: a drift over the run (the database warming, a
      // neighbour's load) weighs on both sides alike.
      const half = Math.ceil(o.messages / 2);
      const aloneLatencies: number[] = [];
      const delivery: number[] = [];
      let aloneMs = 0;
      let deliveredMs = 0;
      const txnsBefore = new Set(receiver.puts.map((p) => p.txnId)).size;
      for (const side of ['plain', 'bridged', 'bridged', 'plain']) {
        if (side === 'plain') {
          const sent = await sendAll(server.baseUrl, users, plain, half, 'plain');
          aloneLatencies.push(...sent.latencies);
          aloneMs += sent.sendMs;
          continue;
        }
        const sent = await sendAll(server.baseUrl, users, bridged, half, 'bridged');
        await waitFor(() => [...sent.started.keys()].every((id) => receiver.arrivedAt.has(id)), 120_000, 'every message at the bridge');
        let last = 0;
        for (const [id, t] of sent.started) {
          const at = receiver.arrivedAt.get(id) as number;
          last = Math.max(last, at);
          delivery.push(at - t);
        }
        deliveredMs += last - sent.t0;
      }
      const deliveredPerS = (2 * half) / (deliveredMs / 1000);
      const alonePerS = (2 * half) / (aloneMs / 1000);
      const aloneLatencies50 = percentile(aloneLatencies, 50);
      const txns = new Set(receiver.puts.map((p) => p.txnId)).size - txnsBefore;
      return [
        { db: engine, figure: 'events/s delivered to the bridge', value: round(deliveredPerS, 0), ceiling: round(alonePerS, 0), ratio: round(deliveredPerS / alonePerS, 2), note: `ceiling: the same sends into a room without the bridge; ${2 * half} messages in ${txns} transactions` },
        { db: engine, figure: 'send start to bridge p50 ms', value: round(percentile(delivery, 50), 1), ceiling: round(aloneLatencies50, 1), ratio: round(percentile(delivery, 50) / aloneLatencies50, 2), note: 'ceiling: the send request alone' },
        { db: engine, figure: 'send start to bridge p99 ms', value: round(percentile(delivery, 99), 1), ceiling: round(percentile(aloneLatencies, 99), 1), ratio: round(percentile(delivery, 99) / percentile(aloneLatencies, 99), 2), note: '' },
      ];
    } finally {
      await server.close();
    }
  } finally {
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(quick: boolean): Promise<ScenarioResult> {
  const o = quick ? { messages: 200, clients: 4, child: false } : { messages: 2000, clients: 8, child: true };
  const rows: Array<Record<string, unknown>> = [];
  for (const engine of engines()) rows.push(...(await runEngine(engine, o)));
  return { scenario: 'appservice', parameters: o, rows };
}
