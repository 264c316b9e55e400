// Splits send-to-sync wake-up (scenario 4) into the send and what follows it:
// `node --import tsx bench/profile-wake.ts [rounds]` (HS_BENCH_ENGINE=postgres with HS_TEST_POSTGRES for PostgreSQL).
// Prints p50/p90/p99 of the wake-up, of the send alone, and of the sync's arrival after the send returned (the
// server runs from dist/ in its own process: `npm run build` first). TRACE=1 runs the server in this process
// instead and prints the PostgreSQL statements of the last round in the order they ran, each with its start
// (ms after the send started) and its duration: on PostgreSQL every statement is a round trip, and which of
// them wait for each other is what the wake-up is made of.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRoom, joinRoom, registerUsers, sendText, type User } from './lib/client.js';
import { traceStatements } from './lib/pg-statements.js';
import { startBenchServer } from './lib/server.js';
import { spread } from './lib/stats.js';
import { since, waitFor } from './scenarios/wake.js';

const rounds = Number(process.argv[2] ?? 300);
const engine = process.env.HS_BENCH_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
const trace = process.env.TRACE === '1';
const WARM_UP = Math.min(20, Math.floor(rounds / 2));

const tracer = trace ? traceStatements() : null;
let traced: string[] = [];

const server = await startBenchServer(engine, { child: !trace });
try {
  const [a, b] = (await registerUsers(server.baseUrl, 'wake', 2)) as [User, User];
  const room = await createRoom(server.baseUrl, a);
  await joinRoom(server.baseUrl, b, room);
  let token = await since(server, a);
  const wake: number[] = [];
  const send: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let release: (id: string) => void = () => undefined;
    const got = waitFor(server, a, token, new Promise<string>((r) => (release = r)));
    await sleep(5); // the long-poll parks
    const tracing = tracer !== null && i === rounds - 1;
    const t0 = tracing ? tracer.start() : performance.now();
    const id = await sendText(server.baseUrl, b, room, `wake ${i}`);
    const t1 = performance.now();
    release(id);
    const { at, next } = await got;
    token = next;
    if (tracing) {
      await sleep(50); // statements still running after the sync answered
      traced = tracer.stop(`send returned ${(t1 - t0).toFixed(2)} ms, sync arrived ${(at - t0).toFixed(2)} ms`);
    }
    if (i < WARM_UP) continue;
    wake.push(at - t0);
    send.push(t1 - t0);
    after.push(at - t1);
  }
  process.stdout.write(`${engine} (${server.mode}): wake-up ${spread(wake)}; send ${spread(send)}; sync after the send returned ${spread(after)}\n`);
  if (tracer !== null) process.stdout.write(`${traced.join('\n')}\n`);
} finally {
  await server.close();
}
