// Splits appservice delivery (scenario 8) into the send and what follows it: one client sends a message into a
// room a bridge has a user in and waits until the bridge holds it, `rounds` times:
// `node --import tsx bench/profile-appservice.ts [rounds]` (HS_BENCH_ENGINE=postgres with HS_TEST_POSTGRES for
// PostgreSQL). Prints p50/p90/p99 of send start → arrival at the bridge, of the send alone and of the arrival after
// the send returned. The server runs in this process; TRACE=1 prints the PostgreSQL statements of the last round
// in the order they ran, each with its start (ms after the send started) and duration.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, createRoom, joinRoom, registerUsers, sendText, type User } from './lib/client.js';
import { traceStatements } from './lib/pg-statements.js';
import { startBenchServer } from './lib/server.js';
import { spread } from './lib/stats.js';
import { startFakeAppservice, waitFor } from '../test/appservice/fake-appservice.js';

const rounds = Number(process.argv[2] ?? 200);
const engine = process.env.HS_BENCH_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
const trace = process.env.TRACE === '1';
const WARM_UP = Math.min(20, Math.floor(rounds / 2));
const HS_TOKEN = 'profile-hs-token';
const AS_TOKEN = 'profile-as-token';

const tracer = trace ? traceStatements() : null;
let traced: string[] = [];

const dir = await mkdtemp(join(tmpdir(), 'hearth-profile-as-'));
const receiver = await startFakeAppservice(HS_TOKEN);
const registration = join(dir, 'profile-bridge.yaml');
await writeFile(
  registration,
  `id: profile\nurl: ${receiver.url}\nas_token: ${AS_TOKEN}\nhs_token: ${HS_TOKEN}\nsender_localpart: profilebot\nrate_limited: false\nnamespaces:\n  users:\n    - regex: "@_profile_.*"\n      exclusive: true\n`,
);
const server = await startBenchServer(engine, { child: false, extra: { app_service_config_files: [registration] } });
try {
  const [a, b] = (await registerUsers(server.baseUrl, 'as-profile', 2)) as [User, User];
  const room = await createRoom(server.baseUrl, a);
  await joinRoom(server.baseUrl, b, room);
  await call(server.baseUrl, 'POST', '/_matrix/client/v3/register', AS_TOKEN, { type: 'm.login.application_service', username: '_profile_ghost', inhibit_login: true });
  const ghost = `@_profile_ghost:${a.userId.split(':')[1]}`;
  await call(server.baseUrl, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}?user_id=${encodeURIComponent(ghost)}`, AS_TOKEN, {});
  const total: number[] = [];
  const send: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < rounds; i++) {
    await sleep(5); // the queue goes idle
    const tracing = tracer !== null && i === rounds - 1;
    const t0 = tracing ? tracer.start() : performance.now();
    const id = await sendText(server.baseUrl, b, room, `as ${i}`);
    const t1 = performance.now();
    await waitFor(() => receiver.arrivedAt.has(id), 10_000, 'the message at the bridge');
    const at = receiver.arrivedAt.get(id) as number;
    if (tracing) {
      await sleep(50); // statements still running after the bridge had it
      traced = tracer.stop(`send returned ${(t1 - t0).toFixed(2)} ms, bridge had it ${(at - t0).toFixed(2)} ms`);
    }
    if (i < WARM_UP) continue;
    total.push(at - t0);
    send.push(t1 - t0);
    after.push(at - t1);
  }
  process.stdout.write(`${engine} (${server.mode}): send start to bridge ${spread(total)}; send ${spread(send)}; bridge after the send returned ${spread(after)}\n`);
  if (tracer !== null) process.stdout.write(`${traced.join('\n')}\n`);
} finally {
  await server.close();
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
}
