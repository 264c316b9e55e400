// Counts the SQL statements message sending runs (SQLite, in-process), grouped by statement text:
// `node --import tsx bench/profile-queries.ts [clients] [sends-per-client] [senders]` (the room has `clients` members,
// the first `senders` of them send; default all). Shows per-send query counts, which
// the CPU profile only shows as time in knex/better-sqlite3.
import { createRequire } from 'node:module';
import type { User } from './lib/client.js';
import { call, pool, sendText, sync } from './lib/client.js';
import { startBenchServer } from './lib/server.js';
import { timeStatements } from './lib/pg-statements.js';
import { buildFixture } from './scenarios/send.js';

// `fanout N`: instead, N members long-poll one room and one message wakes them all (per woken sync).
// REPOLL=1 with `fanout N`: count instead the new long-polls the woken members start right after (per re-poll).
// RECEIPTS=1 with `fanout N`: every member has a read receipt in the room first, as active clients do.
// BACKLOG=N with `fanout N`: N unread messages before the measured one. SQL_WIDTH=N prints N characters of each
// statement (default 150).
const fanoutMode = process.argv[2] === 'fanout';
const clients = Number(process.argv[fanoutMode ? 3 : 2] ?? 10);
const perClient = fanoutMode ? 1 : Number(process.argv[3] ?? 20);
const senders = fanoutMode ? 1 : Math.min(clients, Number(process.argv[4] ?? clients));
const Database = createRequire(import.meta.url)('better-sqlite3') as { prototype: { prepare(sql: string): unknown } };
// HS_BENCH_ENGINE=postgres (with HS_TEST_POSTGRES): PostgreSQL, each statement's time including its round trip.
const engine = process.env.HS_BENCH_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
const times = timeStatements(engine);
const { spent, runs } = times;
const counts = new Map<string, number>();
const prepare = Database.prototype.prepare;
Database.prototype.prepare = function (this: unknown, sql: string) {
  if (times.counting) {
    const n = (counts.get(sql) ?? 0) + 1;
    counts.set(sql, n);
  }
  return prepare.call(this, sql);
};

const server = await startBenchServer(engine, { child: false });
try {
  const fx = await buildFixture(server.baseUrl, clients, [1], [clients]);
  const room = fx.roomSets.get(1)?.[0] as string;
  if (fanoutMode) {
    const filter = JSON.stringify({ room: { timeline: { limit: 1 }, state: { lazy_load_members: true } }, presence: { types: [] } });
    if (process.env.RECEIPTS === '1') {
      const read = await sendText(server.baseUrl, fx.users[0] as User, room, 'read me');
      const path = `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/receipt/m.read/${encodeURIComponent(read)}`;
      await pool(fx.users, 16, (u) => call(server.baseUrl, 'POST', path, u.token, {}));
    }
    // BACKLOG=N: N messages nobody has read yet before the measured one, as lurkers in a busy room have.
    for (let i = 0; i < Number(process.env.BACKLOG ?? 0); i++) await sendText(server.baseUrl, fx.users[0] as User, room, `backlog ${i}`);
    const tokens = await Promise.all(fx.users.map(async (u) => String((await sync(server.baseUrl, u, { filter, timeout: '0' })).next_batch)));
    const polls = fx.users.map((u, i) => sync(server.baseUrl, u, { filter, timeout: '30000', since: tokens[i] as string }));
    await new Promise((r) => setTimeout(r, 500 + clients * 2));
    times.counting = true;
    await sendText(server.baseUrl, fx.users[0] as User, room, 'fan-out');
    const woken = await Promise.all(polls);
    if (process.env.REPOLL === '1') {
      await new Promise((r) => setTimeout(r, 500));
      runs.clear();
      spent.clear();
      counts.clear();
      // Nothing new arrives: each re-poll computes its (empty) incremental sync and waits out its timeout.
      await Promise.all(fx.users.map((u, i) => sync(server.baseUrl, u, { filter, timeout: '1000', since: String(woken[i]?.next_batch) })));
    }
  } else {
    await new Promise((r) => setTimeout(r, 500));
    times.counting = true;
    await Promise.all(
      fx.users.slice(0, senders).map(async (u: User, i) => {
        for (let k = 0; k < perClient; k++) await sendText(server.baseUrl, u, room, `m ${k} ${i}`);
      }),
    );
  }
  await new Promise((r) => setTimeout(r, 1000));
  times.counting = false;
  // Per send, or in fan-out mode per woken member.
  const sends = fanoutMode ? clients : senders * perClient;
  const total = [...runs.values()].reduce((a, b) => a + b, 0);
  const prepared = [...counts.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(`${sends} sends, ${total} statements run (${(total / sends).toFixed(1)} per send), ${prepared} prepared\n`);
  const totalMs = [...spent.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(`${(totalMs / sends).toFixed(3)} ms in ${engine} per send; per statement: count/send, ms/send\n`);
  for (const [sql, total] of [...spent].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
    const n = runs.get(sql) ?? 0;
    const ms = total / sends;
    process.stdout.write(`${(n / sends).toFixed(2).padStart(6)} ${ms.toFixed(3).padStart(7)}  ${sql.replace(/\s+/g, ' ').slice(0, Number(process.env.SQL_WIDTH ?? 150))}\n`);
  }
} finally {
  await server.close();
}
