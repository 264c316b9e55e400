// Profiles fan-out in this process: N members long-poll one room, one message wakes them all.
// `node --import tsx bench/profile-fanout.ts [members] [messages]`; PROFILE=out records a CPU profile of each fan-out
// after the first, from the send until every member has the message (out.1.cpuprofile, ...; setup, the warm-up
// message and the re-polls in between excluded); open them in Chrome DevTools.
// BACKLOG=N: every member has N unread messages before the measured ones.
// WINDOWS=1: prints `window START END` to stderr for each fan-out, from the send until the last member has it, in
// microseconds of the monotonic clock V8's CPU profiles use: with CHILD=1 and HS_BENCH_NODE_FLAGS="--cpu-prof ...",
// the server's own profile can be cut to the fan-outs (the re-polls and the pauses between them left out).
// Prints when the send was answered, the wall time until every member has each message, and the CPU time
// (server and clients together) per woken member, which is what a change moves on a shared machine. The bare
// koa fan-out of the same size runs first in the same process for a ratio.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCeiling } from './lib/ceiling.js';
import { createRoom, joinRoom, pool, registerUsers, sendText, type User } from './lib/client.js';
import { startBenchServer } from './lib/server.js';
import { round } from './lib/stats.js';
import { bareFanout, since, waitFor } from './scenarios/wake.js';

const members = Number(process.argv[2] ?? 1000);
const messages = Number(process.argv[3] ?? 3);
const engine = process.env.HS_BENCH_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
// CHILD=1: the server runs from dist/ in its own process (`npm run build` first) and its own CPU time is reported.
const child = process.env.CHILD === '1';

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

const bare = await startCeiling(child);
let bareMs: number;
let bareCpu: number;
try {
  await bareFanout(bare.baseUrl, members); // warm-up
  const c0 = process.cpuUsage();
  bareMs = await bareFanout(bare.baseUrl, members);
  bareCpu = cpuMs(process.cpuUsage(c0));
} finally {
  await bare.close();
}

const server = await startBenchServer(engine, { child });
try {
  const t = performance.now();
  const users = await registerUsers(server.baseUrl, 'fan', members);
  const owner = users[0] as User;
  const room = await createRoom(server.baseUrl, owner);
  await pool(users.slice(1), 8, (u) => joinRoom(server.baseUrl, u, room));
  // BACKLOG=N: N messages nobody reads before the measured ones, as lurkers in a busy room have unread.
  for (let i = 0; i < Number(process.env.BACKLOG ?? 0); i++) await sendText(server.baseUrl, owner, room, `backlog ${i}`);
  let tokens = await pool(users, 16, (u) => since(server, u));
  process.stdout.write(`setup ${round((performance.now() - t) / 1000, 1)} s; bare koa fan-out ${bareMs} ms, cpu here ${round(bareCpu, 0)} ms\n`);
  const session = process.env.PROFILE ? new Session() : null;
  session?.connect();
  for (let m = 0; m < messages; m++) {
    let release: (id: string) => void = () => undefined;
    const target = new Promise<string>((r) => (release = r));
    const arrivals = Promise.all(users.map((u, i) => waitFor(server, u, tokens[i] as string, target)));
    await sleep(Math.max(300, members * 3));
    if (m >= 1 && session) {
      await session.post('Profiler.enable');
      // A fan-out lasts ~200 ms: sample every 100 µs instead of every 1 ms.
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
    }
    const c0 = process.cpuUsage();
    const s0 = server.cpuMs();
    const h0 = process.hrtime.bigint();
    const t0 = performance.now();
    release(await sendText(server.baseUrl, owner, room, `fan-out ${m}`));
    const sent = performance.now() - t0;
    const got = await arrivals;
    const wall = Math.max(...got.map((g) => g.at)) - t0;
    if (process.env.WINDOWS) process.stderr.write(`window ${h0 / 1000n} ${h0 / 1000n + BigInt(Math.ceil(wall * 1000))}\n`);
    const cpu = cpuMs(process.cpuUsage(c0));
    const serverCpu = server.cpuMs() - s0;
    tokens = got.map((g) => g.next);
    if (m >= 1 && session) {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(`${process.env.PROFILE as string}.${m}.cpuprofile`, JSON.stringify(profile));
    }
    // Apart from the next round's long-polls, so a CPU profile of the whole server (CHILD=1 with
    // HS_BENCH_NODE_FLAGS="--cpu-prof ...") shows each fan-out as a burst of its own, 3 s after the re-polls.
    await sleep(500);
    const own = child ? `; server cpu ${round(serverCpu, 0)} ms = ${round(serverCpu / members, 3)} ms/member` : '';
    process.stdout.write(
      `message ${m}: sent ${round(sent, 1)} ms, all ${round(wall, 1)} ms (x${round(wall / bareMs, 1)} bare), cpu here ${round(cpu, 0)} ms = ${round(cpu / members, 3)} ms/member${own}\n`,
    );
  }
} finally {
  await server.close();
}
