// Application service delivery: one bridge (a plain HTTP listener) in a room with a namespace user; a Matrix
// user sends messages and we measure transaction throughput (events/s delivered) and the latency from a send
// returning to the event arriving at the service (p50/p99).
//
//   npx tsx bench/appservice.ts           2000 messages, 8 in flight
//   npx tsx bench/appservice.ts --quick   200 messages
//
// `run(opts)` returns the figures so bench/run.ts can collect them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startTestServer } from '../test/helpers/server.js';
import { registerUser, TEST_USER_CONFIG } from '../test/helpers/users.js';
import { startFakeAppservice, waitFor } from '../test/appservice/fake-appservice.js';

export interface AppserviceBenchOptions {
  messages?: number;
  /** Sends in flight at once. */
  concurrency?: number;
}

export interface AppserviceBenchResult {
  messages: number;
  seconds: number;
  eventsPerSecond: number;
  transactions: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function run(opts: AppserviceBenchOptions = {}): Promise<AppserviceBenchResult> {
  const messages = opts.messages ?? 2000;
  const concurrency = opts.concurrency ?? 8;
  const dir = await mkdtemp(join(tmpdir(), 'hearth-bench-as-'));
  const fake = await startFakeAppservice('bench-hs-token');
  const regPath = join(dir, 'bench.yaml');
  await writeFile(
    regPath,
    `id: bench\nurl: ${fake.url}\nas_token: bench-as-token\nhs_token: bench-hs-token\nsender_localpart: benchbot\nnamespaces:\n  users:\n    - regex: "@_bench_.*"\n      exclusive: true\n`,
  );
  const server = await startTestServer({ ...TEST_USER_CONFIG, appServiceConfigFiles: [regPath] });
  try {
    const alice = await registerUser(server.baseUrl, server.config, 'alice');
    const post = async (path: string, token: string, body: unknown, method = 'POST') => {
      const res = await fetch(server.baseUrl + path, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return (await res.json()) as Record<string, unknown>;
    };
    const roomId = (await post('/_matrix/client/v3/createRoom', alice.accessToken, { preset: 'public_chat' })).room_id as string;
    await post('/_matrix/client/v3/register', 'bench-as-token', { type: 'm.login.application_service', username: '_bench_ghost', inhibit_login: true });
    await post(`/_matrix/client/v3/join/${encodeURIComponent(roomId)}?user_id=${encodeURIComponent('@_bench_ghost:localhost')}`, 'bench-as-token', {});
    await waitFor(() => fake.events.length > 0, 10_000, 'join delivered');

    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const base = fake.events.length;
    // Watch arrivals by polling the fake's list (cheap; it only grows).
    let seen = base;
    const watcher = setInterval(() => {
      const now = performance.now();
      for (; seen < fake.events.length; seen++) {
        const t = sentAt.get(String(fake.events[seen]?.event_id));
        if (t !== undefined) latencies.push(now - t);
      }
    }, 1);
    const start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < messages) {
          const i = next++;
          const r = await post(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b${i}`, alice.accessToken, { msgtype: 'm.text', body: `m${i}` }, 'PUT');
          sentAt.set(String(r.event_id), performance.now());
        }
      }),
    );
    await waitFor(() => latencies.length >= messages, 120_000, 'all events delivered');
    const seconds = (performance.now() - start) / 1000;
    clearInterval(watcher);
    latencies.sort((a, b) => a - b);
    return {
      messages,
      seconds,
      eventsPerSecond: messages / seconds,
      transactions: new Set(fake.puts.map((p) => p.txnId)).size,
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
    };
  } finally {
    await server.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const r = await run(quick ? { messages: 200 } : {});
  process.stdout.write(
    `appservice: ${r.messages} events in ${r.seconds.toFixed(2)} s = ${r.eventsPerSecond.toFixed(1)} events/s over ${r.transactions} transactions; send-to-delivery p50 ${r.latencyP50Ms.toFixed(1)} ms, p99 ${r.latencyP99Ms.toFixed(1)} ms\n`,
  );
}
