// Time inside the database per sent event, by statement, during a steady send loop (in-process):
// `node --import tsx bench/profile-statements.ts [seconds] [members] [clients] [sqlite|postgres]` (default 8 s,
// 50 members, 1 client: the send scenario's one client in a 50-member room; postgres needs HS_TEST_POSTGRES and
// its times include each statement's round trip). Unlike profile-queries.ts, which counts a few sends, this
// runs long enough for WAL checkpoints and the database's growth to show in the figures. ROOMS=n spreads the
// clients over n rooms as the send scenario does (each client then in its own rooms, with the first user).
import { timeStatements } from './lib/pg-statements.js';
import { startBenchServer } from './lib/server.js';
import { buildFixture, sendLoad } from './scenarios/send.js';

const seconds = Number(process.argv[2] ?? 8);
const members = Number(process.argv[3] ?? 50);
const clients = Math.min(members, Number(process.argv[4] ?? 1));
const engine = process.argv[5] === 'postgres' ? 'postgres' : 'sqlite';
const rooms = Number(process.env.ROOMS ?? 1);
const times = timeStatements(engine);
const server = await startBenchServer(engine, { child: false });
try {
  const fx = await buildFixture(server.baseUrl, Math.max(members, clients), [rooms], [rooms === 1 ? members : clients]);
  times.counting = true;
  const f = await sendLoad(server, fx, clients, rooms, seconds);
  times.counting = false;
  const total = [...times.spent.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(`${f.events} events, ${(total / f.events).toFixed(3)} ms in ${engine} per event; per statement: ms/event, runs/event\n`);
  for (const [sql, ms] of [...times.spent].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 15))) {
    process.stdout.write(`${(ms / f.events).toFixed(3).padStart(7)} ${((times.runs.get(sql) ?? 0) / f.events).toFixed(2).padStart(6)}  ${sql.slice(0, 110)}\n`);
  }
} finally {
  await server.close();
}
