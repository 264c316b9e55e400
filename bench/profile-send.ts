// Profiles message sending in this process: `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-send.ts
// [seconds] [room members] [sending clients]` (default 8 s, 10 members, 10 clients; `8 50 1` is the send scenario's
// one client in a 50-member room, where push actions are written for 49 members per event).
// The server runs in-process so the profile covers the whole request path.
import { startBenchServer } from './lib/server.js';
import { buildFixture, sendLoad } from './scenarios/send.js';

const seconds = Number(process.argv[2] ?? 8);
const members = Number(process.argv[3] ?? 10);
const clients = Math.min(members, Number(process.argv[4] ?? 10));
const server = await startBenchServer('sqlite', { child: false });
try {
  const fx = await buildFixture(server.baseUrl, members, [1], [members]);
  // CPU time per event (server and load generator together) is what a change moves; on a shared machine
  // the wall-clock rate mostly measures the neighbours.
  const cpu0 = process.cpuUsage();
  const f = await sendLoad(server, fx, clients, 1, seconds);
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${JSON.stringify({ ...f, cpuMsPerEvent: Math.round(((cpu.user + cpu.system) / 1000 / f.events) * 100) / 100 })}\n`);
} finally {
  await server.close();
}
