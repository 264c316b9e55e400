// Counts the SQL statements message sending runs (SQLite, in-process), grouped by statement text:
// `node --import tsx bench/profile-queries.ts [clients] [sends-per-client]`. Shows per-send query counts, which
// the CPU profile only shows as time in knex/better-sqlite3.
import { createRequire } from 'node:module';
import type { User } from './lib/client.js';
import { sendText } from './lib/client.js';
import { startBenchServer } from './lib/server.js';
import { buildFixture } from './scenarios/send.js';

const clients = Number(process.argv[2] ?? 10);
const perClient = Number(process.argv[3] ?? 20);
const Database = createRequire(import.meta.url)('better-sqlite3') as { prototype: { prepare(sql: string): unknown } };
const counts = new Map<string, number>();
let counting = false;
const prepare = Database.prototype.prepare;
Database.prototype.prepare = function (this: unknown, sql: string) {
  if (counting) counts.set(sql, (counts.get(sql) ?? 0) + 1);
  return prepare.call(this, sql);
};

const server = await startBenchServer('sqlite', { child: false });
try {
  const fx = await buildFixture(server.baseUrl, clients, [1], [clients]);
  const room = fx.roomSets.get(1)?.[0] as string;
  await new Promise((r) => setTimeout(r, 500));
  counting = true;
  await Promise.all(
    fx.users.map(async (u: User, i) => {
      for (let k = 0; k < perClient; k++) await sendText(server.baseUrl, u, room, `m ${k} ${i}`);
    }),
  );
  await new Promise((r) => setTimeout(r, 1000));
  counting = false;
  const sends = clients * perClient;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(`${sends} sends, ${total} statements, ${(total / sends).toFixed(1)} per send\n`);
  for (const [sql, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
    process.stdout.write(`${(n / sends).toFixed(2).padStart(7)}  ${sql.replace(/\s+/g, ' ').slice(0, 170)}\n`);
  }
} finally {
  await server.close();
}
