// Counts the SQL statements and CPU of one initial /sync for a user in N rooms (in-process):
// `node --import tsx bench/profile-initial-sync.ts [rooms] [repeats] [sqlite|postgres]` (postgres needs
// HS_TEST_POSTGRES; its statement times include the round trip). Then as many incremental syncs with nothing new. Same fixture as the sync-rooms scenario (each room
// created by the user, named, one message). Reports statements per initial sync grouped by statement text, and
// the process CPU per sync (the in-process client's share is small: one request).
import { createRoom, pool, registerUsers, sendText, sync, type User } from './lib/client.js';
import { startBenchServer } from './lib/server.js';
import { timeStatements } from './lib/pg-statements.js';

const roomCount = Number(process.argv[2] ?? 1000);
const repeats = Number(process.argv[3] ?? 3);
const engine = process.argv[4] === 'postgres' ? 'postgres' : 'sqlite';
const times = timeStatements(engine);
const { spent, runs } = times;

const server = await startBenchServer(engine, { child: false });
try {
  const [user] = (await registerUsers(server.baseUrl, 'many', 1)) as [User];
  await pool(Array.from({ length: roomCount }, (_, i) => i), 1, async (i) => {
    const room = await createRoom(server.baseUrl, user, { name: `room ${i}` });
    await sendText(server.baseUrl, user, room, `hello ${i}`);
  });
  await new Promise((r) => setTimeout(r, 500));
  // The first sync runs on cold caches (what a fresh login after a restart sees); later ones on warm caches.
  // Then as many incremental syncs from the last one's next_batch, with nothing new (timeout=0).
  let since = '';
  for (let k = 0; k < 2 * repeats; k++) {
    const incremental = k >= repeats;
    spent.clear();
    runs.clear();
    times.counting = true;
    const cpu = process.cpuUsage();
    const t = performance.now();
    const body = await sync(server.baseUrl, user, incremental ? { since, timeout: '0' } : {});
    if (!incremental) since = String(body.next_batch);
    const wall = performance.now() - t;
    const used = process.cpuUsage(cpu);
    times.counting = false;
    const total = [...runs.values()].reduce((a, b) => a + b, 0);
    const sqlMs = [...spent.values()].reduce((a, b) => a + b, 0);
    const joined = Object.keys((body.rooms as { join?: object } | undefined)?.join ?? {}).length;
    process.stdout.write(
      `${incremental ? 'incremental, nothing new' : 'sync'} ${(k % repeats) + 1}: ${joined} rooms, ${total} statements (${(total / roomCount).toFixed(2)} per room), ${sqlMs.toFixed(0)} ms in ${engine}, ` +
        `CPU ${((used.user + used.system) / 1000).toFixed(0)} ms, wall ${wall.toFixed(0)} ms, ${(JSON.stringify(body).length / 1024).toFixed(0)} KiB\n`,
    );
    if (k === 0 || k === repeats - 1 || k === 2 * repeats - 1) {
      for (const [sql, ms] of [...spent].sort((a, b) => (runs.get(b[0]) ?? 0) - (runs.get(a[0]) ?? 0)).slice(0, 30)) {
        process.stdout.write(`${String(runs.get(sql) ?? 0).padStart(6)} ${ms.toFixed(1).padStart(7)} ms  ${sql.replace(/\s+/g, ' ').slice(0, 160)}\n`);
      }
    }
  }
} finally {
  await server.close();
}
