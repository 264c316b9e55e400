// Where the send latency tail comes from: `node --import tsx bench/profile-tail.ts [clients] [rooms] [seconds] [cold|warm]`.
// The server runs in-process. Records when each send started and how long it took, when the server accepted each
// connection (net.Server 'connection' events) and the event loop's delay, then prints the slowest sends and each
// client's first send. `cold` starts timing with no connection open (as bench/scenarios/send.ts did), `warm`
// opens every client's connection first.
import { Server } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { sendText, type User } from './lib/client.js';
import { startBenchServer } from './lib/server.js';
import { buildFixture, closedLoops, roomsOf, warmConnections } from './scenarios/send.js';

const clients = Number(process.argv[2] ?? 50);
const rooms = Number(process.argv[3] ?? 1);
const seconds = Number(process.argv[4] ?? 5);
const warm = process.argv[5] === 'warm';

const accepted: number[] = [];
const emit = Server.prototype.emit as (this: Server, name: string | symbol, ...args: unknown[]) => boolean;
(Server.prototype as unknown as { emit: typeof emit }).emit = function (name, ...args) {
  if (name === 'connection') accepted.push(performance.now());
  return emit.call(this, name, ...args);
};

const server = await startBenchServer('sqlite', { child: false });
try {
  const fx = await buildFixture(server.baseUrl, clients, [rooms], [clients]);
  const set = fx.roomSets.get(rooms) ?? [];
  const send = (i: number, k: number) => {
    const mine = roomsOf(set, clients, i);
    return sendText(server.baseUrl, fx.users[i] as User, mine[k % mine.length] as string, `m ${k} ${i}`);
  };
  // Connections left open by the fixture would hide what a fresh client sees; undici closes idle ones after 4 s.
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  if (warm) await warmConnections(clients, send);
  const samples: Array<{ at: number; ms: number; i: number; k: number }> = [];
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const start = performance.now();
  accepted.length = 0;
  await closedLoops(clients, start, seconds, send, (at, ms, i, k) => samples.push({ at, ms, i, k }));
  loop.disable();
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const pct = (p: number) => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))]?.toFixed(1);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`${warm ? 'warm' : 'cold'}: ${samples.length} sends, p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)} max ${pct(100)} ms`);
  out(`event loop delay ms: p50 ${(loop.percentile(50) / 1e6).toFixed(1)} p99 ${(loop.percentile(99) / 1e6).toFixed(1)}`);
  out(`connections accepted during the run, ms after start: ${accepted.map((a) => (a - start).toFixed(0)).join(' ')}`);
  for (const s of [...samples].sort((a, b) => b.ms - a.ms).slice(0, 10)) out(`slow: client ${s.i} send #${s.k} started at ${s.at.toFixed(0)} ms took ${s.ms.toFixed(0)} ms`);
  const later = samples.filter((s) => s.k > 0).map((s) => s.ms).sort((a, b) => a - b);
  out(`sends after each client's first: p99 ${later[Math.floor(0.99 * later.length)]?.toFixed(1)} ms`);
} finally {
  await server.close();
}
