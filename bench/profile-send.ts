// Profiles message sending in this process: `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-send.ts`.
// The server runs in-process so the profile covers the whole request path.
import { startBenchServer } from './lib/server.js';
import { buildFixture, sendLoad } from './scenarios/send.js';

const seconds = Number(process.argv[2] ?? 8);
const server = await startBenchServer('sqlite', { child: false });
try {
  const fx = await buildFixture(server.baseUrl, 10, [1], [10]);
  const f = await sendLoad(server, fx, 10, 1, seconds);
  process.stdout.write(`${JSON.stringify(f)}\n`);
} finally {
  await server.close();
}
