// Sending into a bridged room: `node --import tsx bench/profile-bridged-room.ts [puppets] [clients] [seconds]`
// (default 200 puppets, 8 clients, 10 s). An application service holds `puppets` users exclusively, all joined
// to one room with `clients` ordinary users, who then send as fast as they can: events/s, latency and the
// server's CPU per event, the server as its own process from dist/ (`npm run build` first). Compare builds by
// the CPU per event, measured in turns. HS_BENCH_ENGINE=postgres (with HS_TEST_POSTGRES) for PostgreSQL.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, createRoom, pool, registerUsers, type User } from './lib/client.js';
import { mainThreadCpuMs, startBenchServer } from './lib/server.js';
import { sendLoad } from './scenarios/send.js';

const engine = process.env.HS_BENCH_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
const puppets = Number(process.argv[2] ?? 200);
const clients = Number(process.argv[3] ?? 8);
const seconds = Number(process.argv[4] ?? 10);
const AS_TOKEN = 'bench-bridged-as-token';

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
    // One room for everybody: the send scenario's load over a fixture of that room alone.
    const fx = { users, roomSets: new Map([[1, [roomId]]]) };
    const warm = await sendLoad(server, fx, clients, 1, 3);
    const cpu0 = server.cpuMs();
    const main0 = mainThreadCpuMs(server.pid);
    const f = await sendLoad(server, fx, clients, 1, seconds);
    const cpu = server.cpuMs() - cpu0;
    const main = mainThreadCpuMs(server.pid) - main0;
    process.stdout.write(
      `${engine}, ${clients} clients in a room with ${puppets} puppets: ${f.perSecond} events/s (warm-up ${warm.perSecond}), ` +
        `p50 ${f.p50} / p99 ${f.p99} ms; server CPU ${(cpu / f.events).toFixed(3)} ms per event (its event loop's thread ${(main / f.events).toFixed(3)})\n`,
    );
  } finally {
    await server.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
