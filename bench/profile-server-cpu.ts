// The server's own CPU time per sent event, with the server as its own process from dist/ (`npm run build`
// first), as `npm start` runs it: `node --import tsx bench/profile-server-cpu.ts [clients] [rooms] [seconds]
// [members]` (default 10 clients over 50 rooms for 10 s; members, default the clients, sets how many users join
// the rooms: `10 1 10 50` is ten senders in one 50-member room; over 50 rooms a room holds 2-3 of them). On a shared, noisy machine the events per second move with
// everything else running; the CPU the server spent per event moves much less, so builds are compared by it,
// measured in turns; the event loop's thread alone is what bounds the rate once it is busy all the time, and
// the CPU of server and load generator together once both cores are (printed as cores busy). HS_BENCH_ENGINE=postgres (with HS_TEST_POSTGRES) for PostgreSQL; HS_BENCH_NODE_FLAGS
// (e.g. "--cpu-prof --cpu-prof-dir=DIR") reaches the server's node. A 3-s warm-up runs before the measured load.
import { mainThreadCpuMs, startBenchServer } from './lib/server.js';
import { buildFixture, roomsOf, sendLoad } from './scenarios/send.js';

const engine = process.env.HS_BENCH_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
const clients = Number(process.argv[2] ?? 10);
const rooms = Number(process.argv[3] ?? 50);
const seconds = Number(process.argv[4] ?? 10);
const members = Number(process.argv[5] ?? clients);
const server = await startBenchServer(engine, { child: true });
const t0 = Date.now();
try {
  const fx = await buildFixture(server.baseUrl, members, [rooms], [clients, members]);
  // Who joined each room, as buildFixture joins them (with many rooms, members spread over them).
  const set = fx.roomSets.get(rooms) ?? [];
  const joined = new Map(set.map((r) => [r, new Set([0])]));
  for (const c of [clients, members]) for (let i = 1; i < c; i++) for (const r of roomsOf(set, c, i)) joined.get(r)?.add(i);
  const perRoom = [...joined.values()].map((m) => m.size);
  const roomSize = Math.min(...perRoom) === Math.max(...perRoom) ? String(perRoom[0]) : `${Math.min(...perRoom)}-${Math.max(...perRoom)}`;
  const warm = await sendLoad(server, fx, clients, rooms, 3);
  const s0 = server.cpuMs();
  const m0 = mainThreadCpuMs(server.pid);
  const c0 = process.cpuUsage();
  process.stdout.write(`warm-up ${warm.perSecond} events/s; measured load from ${(Date.now() - t0) / 1000} s after start\n`);
  const f = await sendLoad(server, fx, clients, rooms, seconds);
  const cpu = server.cpuMs() - s0;
  const main = mainThreadCpuMs(server.pid) - m0;
  const c = process.cpuUsage(c0);
  const own = (c.user + c.system) / 1000;
  process.stdout.write(
    `${engine}, ${clients} clients in ${rooms} room(s) of ${roomSize} members (${members} users): ${f.perSecond} events/s, p50 ${f.p50} / p99 ${f.p99} ms; ` +
      `server CPU ${(cpu / f.events).toFixed(3)} ms per event (its event loop's thread ${(main / f.events).toFixed(3)}); ` +
      `load generator ${(own / f.events).toFixed(3)} ms per event; both ${((cpu + own) / (seconds * 1000)).toFixed(2)} cores busy (load ended ${(Date.now() - t0) / 1000} s after start)\n`,
  );
} finally {
  await server.close();
}
