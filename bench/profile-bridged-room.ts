// Sending into a bridged room: `node --import tsx bench/profile-bridged-room.ts [puppets] [clients] [seconds]`
// (default 200 puppets, 8 clients, 10 s). An application service holds `puppets` users exclusively, all joined
// to one room with `clients` ordinary users, who then send as fast as they can: events/s, latency and the
// server's CPU per event, the server as its own process from dist/ (`npm run build` first). Compare builds by
// the CPU per event, measured in turns. HS_BENCH_ENGINE=postgres (with HS_TEST_POSTGRES) for PostgreSQL.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { call, createRoom, pool, registerUsers, sendText, type User } from './lib/client.js';
import { mainThreadCpuMs, startBenchServer } from './lib/server.js';
import { percentile, round } from './lib/stats.js';

const engine = process.env.HS_BENCH_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
const puppets = Number(process.argv[2] ?? 200);
const clients = Number(process.argv[3] ?? 8);
const seconds = Number(process.argv[4] ?? 10);
const AS_TOKEN = 'bench-bridged-as-token';

/** Each client sends its next message as soon as the last returned, for `s` seconds. */
async function load(baseUrl: string, users: User[], roomId: string, s: number): Promise<{ events: number; latencies: number[]; ms: number }> {
  const latencies: number[] = [];
  const t0 = performance.now();
  const end = t0 + s * 1000;
  await Promise.all(
    users.map(async (u, i) => {
      for (let n = 0; performance.now() < end; n++) {
        const t = performance.now();
        await sendText(baseUrl, u, roomId, `client ${i} message ${n}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { events: latencies.length, latencies, ms: performance.now() - t0 };
}

const dir = await mkdtemp(join(tmpdir(), 'hearth-bench-bridged-'));
try {
  const registration = join(dir, 'bridge.yaml');
  // No url: the bridge receives nothing, so what is measured is the room's puppets alone.
  await writeFile(
    registration,
    `id: bridged\nurl: null\nas_token: ${AS_TOKEN}\nhs_token: bench-bridged-hs-token\nsender_localpart: bridgebot\nrate_limited: false\nnamespaces:\n  users:\n    - regex: "@_puppet_.*"\n      exclusive: true\n`,
  );
  const server = await startBenchServer(engine, { child: true, extra: { app_service_config_files: [registration] } });
  try {
    const users = await registerUsers(server.baseUrl, 'bridged-sender', clients);
    const owner = users[0] as User;
    const roomId = await createRoom(server.baseUrl, owner, { preset: 'public_chat' });
    await pool(users.slice(1), 8, (u) => call(server.baseUrl, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, u.token, {}));
    const domain = owner.userId.split(':')[1] as string;
    await pool(
      Array.from({ length: puppets }, (_, i) => `_puppet_${i}`),
      8,
      async (localpart) => {
        await call(server.baseUrl, 'POST', '/_matrix/client/v3/register', AS_TOKEN, { type: 'm.login.application_service', username: localpart, inhibit_login: true });
        await call(server.baseUrl, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?user_id=${encodeURIComponent(`@${localpart}:${domain}`)}`, AS_TOKEN, {});
      },
    );
    const warm = await load(server.baseUrl, users, roomId, 3);
    const cpu0 = server.cpuMs();
    const main0 = mainThreadCpuMs(server.pid);
    const f = await load(server.baseUrl, users, roomId, seconds);
    const cpu = server.cpuMs() - cpu0;
    const main = mainThreadCpuMs(server.pid) - main0;
    process.stdout.write(
      `${engine}, ${clients} clients in a room with ${puppets} puppets: ${round(f.events / (f.ms / 1000), 0)} events/s (warm-up ${round(warm.events / (warm.ms / 1000), 0)}), ` +
        `p50 ${round(percentile(f.latencies, 50), 2)} / p99 ${round(percentile(f.latencies, 99), 2)} ms; server CPU ${(cpu / f.events).toFixed(3)} ms per event (its event loop's thread ${(main / f.events).toFixed(3)})\n`,
    );
  } finally {
    await server.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
