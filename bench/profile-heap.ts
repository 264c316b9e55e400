// Whether the server's memory grows with traffic: the memory scenario's light traffic (two users, one room, a
// message then an incremental sync, in turn) without its pauses:
// `node --expose-gc --import tsx bench/profile-heap.ts [messages] [step]` (HS_BENCH_ENGINE=postgres with
// HS_TEST_POSTGRES for PostgreSQL). In this process, it prints the live heap after a full collection every `step`
// messages; SNAPSHOTS=dir writes a heap snapshot after the first and the last step, to compare in Chrome
// DevTools. CHILD=1 runs the server from dist/ in its own process instead (`npm run build` first) and prints its
// RSS and the anonymous part of it every `step` messages and each second of the minute of idleness after them where it changed.
import { writeHeapSnapshot } from 'node:v8';
import { join } from 'node:path';
import { createRoom, joinRoom, registerUsers, sendText, sync, type User } from './lib/client.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBenchServer } from './lib/server.js';
import { mb } from './lib/stats.js';

const messages = Number(process.argv[2] ?? 4000);
const step = Number(process.argv[3] ?? 1000);
const engine = process.env.HS_BENCH_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
const child = process.env.CHILD === '1';
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined && !child) throw new Error('run node with --expose-gc');

const server = await startBenchServer(engine, { child });
const memory = () => {
  if (child) return `rss ${mb(server.rss())} MB, anon ${mb(server.rssAnon())} MB`;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return `live heap ${mb(m.heapUsed)} MB, external ${mb(m.external)} MB, rss ${mb(m.rss)} MB`;
};
try {
  const [a, b] = (await registerUsers(server.baseUrl, 'heap', 2)) as [User, User];
  const room = await createRoom(server.baseUrl, a);
  await joinRoom(server.baseUrl, b, room);
  let since = String((await sync(server.baseUrl, b, { timeout: '0' })).next_batch);
  process.stdout.write(`${engine} (${server.mode}): after setup ${memory()}\n`);
  for (let i = 0; i < messages; i++) {
    await sendText(server.baseUrl, i % 2 ? a : b, room, `light ${i}`);
    since = String((await sync(server.baseUrl, b, { since, timeout: '0' })).next_batch);
    if ((i + 1) % step === 0) {
      process.stdout.write(`after ${i + 1} messages: ${memory()}\n`);
      if (!child && process.env.SNAPSHOTS && (i + 1 === step || i + 1 === messages)) writeHeapSnapshot(join(process.env.SNAPSHOTS, `heap-${i + 1}.heapsnapshot`));
    }
  }
  if (child) {
    let last = '';
    for (let s = 1; s <= 60; s++) {
      await sleep(1000);
      const now = memory();
      if (now !== last) process.stdout.write(`idle ${s} s: ${now}\n`);
      last = now;
    }
  }
} finally {
  await server.close();
}
