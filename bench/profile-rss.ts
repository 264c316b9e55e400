// Where the server's resident memory is: `node --import tsx bench/profile-rss.ts` (LIGHT=seconds of light traffic,
// default 60; HS_BENCH_ENGINE=postgres with HS_TEST_POSTGRES for PostgreSQL). Starts the server from dist/ as its
// own process (`npm run build` first), and 15 s after start, then after the light traffic and 25 s idle, prints
// which of node's binary's ELF sections are resident (read from /proc/PID/pagemap page by page, so Linux only)
// and the resident size of every mapping (/proc/PID/smaps) at both points.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { registerUsers, createRoom, joinRoom, sync, sendText, type User } from './lib/client.js';
import { startBenchServer } from './lib/server.js';

// The server runs on this same node binary. Its sections are matched by address: node's builds are not
// position-independent, so a section's address in the ELF file is where it is mapped.
const NODE = process.execPath;
const sections: Array<{ name: string; start: number; end: number }> = [];
for (const line of execSync(`readelf -SW ${NODE}`).toString().split('\n')) {
  const m = /\]\s+(\S+)\s+\S+\s+([0-9a-f]{16})\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(line);
  if (m && Number.parseInt(m[2]!, 16) > 0) sections.push({ name: m[1]!, start: Number.parseInt(m[2]!, 16), end: Number.parseInt(m[2]!, 16) + Number.parseInt(m[4]!, 16) });
}
const syms: Array<{ name: string; start: number; end: number }> = [];
for (const line of execSync(`nm -S --size-sort ${NODE} | tail -400`).toString().split('\n')) {
  const m = /^([0-9a-f]+) ([0-9a-f]+) \S (\S+)/.exec(line);
  if (m) syms.push({ name: m[3]!, start: Number.parseInt(m[1]!, 16), end: Number.parseInt(m[1]!, 16) + Number.parseInt(m[2]!, 16) });
}

function probe(pid: number, label: string): void {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').filter((l) => l.endsWith(NODE));
  const fd = openSync(`/proc/${pid}/pagemap`, 'r');
  const bySection = new Map<string, number>();
  const bySym = new Map<string, number>();
  const buf = Buffer.alloc(8);
  for (const l of maps) {
    const [range] = l.split(' ');
    const [a, b] = range!.split('-').map((x) => Number.parseInt(x, 16)) as [number, number];
    for (let v = a; v < b; v += 4096) {
      readSync(fd, buf, 0, 8, (v / 4096) * 8);
      const present = (buf.readBigUInt64LE(0) >> 63n) & 1n;
      if (!present) continue;
      const s = sections.find((x) => v + 4095 >= x.start && v < x.end)?.name ?? '?';
      bySection.set(s, (bySection.get(s) ?? 0) + 4096);
      const y = syms.find((x) => v + 4095 >= x.start && v < x.end && x.end - x.start > 100000);
      if (y) bySym.set(y.name, (bySym.get(y.name) ?? 0) + 4096);
    }
  }
  closeSync(fd);
  const mb = (n: number) => (n / 1048576).toFixed(1);
  const total = [...bySection.values()].reduce((a, b) => a + b, 0);
  console.log(`== ${label}: node binary resident ${mb(total)} MB; VmRSS ${/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]} kB`);
  console.log('  sections', [...bySection].sort((x, y) => y[1] - x[1]).slice(0, 8).map(([k, v]) => `${k} ${mb(v)}`).join(', '));
  console.log('  big symbols', [...bySym].sort((x, y) => y[1] - x[1]).slice(0, 8).map(([k, v]) => `${k} ${mb(v)}`).join(', '));
}

/** Resident kB of each mapping of `pid`, the largest first, and the totals. */
function mappings(pid: number): void {
  execSync(`grep -E "^(Rss|Anonymous)" /proc/${pid}/smaps_rollup`, { stdio: 'inherit' });
  const per = new Map<string, number>();
  let cur = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const h = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (h) { cur = h[1] || '[anon]'; continue; }
    const r = /^Rss:\s+(\d+)/.exec(line);
    if (r) per.set(cur, (per.get(cur) ?? 0) + Number(r[1]));
  }
  console.log([...per].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${v} kB ${k}`).join('\n'));
}

const server = await startBenchServer(process.env.HS_BENCH_ENGINE === 'postgres' ? 'postgres' : 'sqlite', { child: true });
const { pid } = server;
await sleep(15000);
probe(pid, 'idle 15 s after start');
mappings(pid);
const [a, b] = (await registerUsers(server.baseUrl, 'idle', 2)) as [User, User];
const room = await createRoom(server.baseUrl, a);
await joinRoom(server.baseUrl, b, room);
let since = String((await sync(server.baseUrl, b, { timeout: '0' })).next_batch);
const end = performance.now() + Number(process.env.LIGHT ?? 60) * 1000;
for (let i = 0; performance.now() < end; i++) {
  await sendText(server.baseUrl, i % 2 ? a : b, room, `light ${i}`);
  since = String((await sync(server.baseUrl, b, { since, timeout: '0' })).next_batch);
  await sleep(200);
}
await sleep(25000);
probe(pid, 'after light traffic + 25 s idle');
mappings(pid);
await server.close();
