// Profiles message sending in this process: `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-send.ts`.
// The server runs in-process so the profile covers the whole request path.
import { startBenchServer } from './lib/server.js';
import { buildFixture, sendLoad } from './scenarios/send.js';

const seconds = Number(process.argv[2] ?? 8);
const server = await startBenchServer('sqlite', { child: false });
try {
  const fx = await buildFixture(server.baseUrl, 10, [1], [10]);
  // CPU time per event (server and load generator together) is what a change moves; on a shared machine
  // the wall-clock rate mostly measures the neighbours.
  const cpu0 = process.cpuUsage();
  const f = await sendLoad(server, fx, 10, 1, seconds);
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${JSON.stringify({ ...f, cpuMsPerEvent: Math.round(((cpu.user + cpu.system) / 1000 / f.events) * 100) / 100 })}\n`);
} finally {
  await server.close();
}
