import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ScenarioResult } from '../run.js';
import { startCeiling } from '../lib/ceiling.js';
import { call, registerUsers, sendText, sync, type User, createRoom, joinRoom } from '../lib/client.js';
import { engines } from '../lib/engines.js';
import { startBenchServer } from '../lib/server.js';
import { mb, round, slope } from '../lib/stats.js';
import { buildFixture, sendLoad } from './send.js';

// Scenario 1, idle RSS: right after start (0.5 s after it listens, and again once it has been idle for 15 s: start-up
// garbage is only given back by the first idle collection), and after 10 minutes of light traffic (two users
// chatting and syncing a few times a second). Notes give the anonymous part of each RSS (heap, stacks, malloc):
// the rest is file-backed, mostly node's own binary, and moves with which code paths have run. Scenario 9, memory under sustained load: scenario 3 (10 clients, 50 rooms) for a fixed
// time, RSS sampled every 250 ms: the peak and the growth slope over the second half (flat is ~0 MB/min).
// Ceiling: the RSS of a bare koa process. In quick runs the server shares this process, so RSS includes the
// load generator; full runs spawn the server and read its RSS from /proc.

const IDLE_WAIT_MS = 25_000;
const SETTLE_MS = 15_000;

async function lightTraffic(baseUrl: string, seconds: number): Promise<void> {
  const [a, b] = (await registerUsers(baseUrl, 'idle', 2)) as [User, User];
  const room = await createRoom(baseUrl, a);
  await joinRoom(baseUrl, b, room);
  let since = String((await sync(baseUrl, b, { timeout: '0' })).next_batch);
  const end = performance.now() + seconds * 1000;
  for (let i = 0; performance.now() < end; i++) {
    await sendText(baseUrl, i % 2 ? a : b, room, `light ${i}`);
    since = String((await sync(baseUrl, b, { since, timeout: '0' })).next_batch);
    await sleep(200);
  }
}

export async function run(quick: boolean): Promise<ScenarioResult> {
  // The issue measures idle RSS after 10 minutes of light traffic; HS_BENCH_LIGHT_SECONDS shortens it for a look.
  const fullLight = Number(process.env.HS_BENCH_LIGHT_SECONDS ?? 600);
  // HS_BENCH_LOAD_SECONDS lengthens the sustained load, to see whether RSS levels off after the 30 s.
  const fullLoad = Number(process.env.HS_BENCH_LOAD_SECONDS ?? 30);
  const o = quick ? { lightSeconds: 2, loadSeconds: 3, child: false } : { lightSeconds: fullLight, loadSeconds: fullLoad, child: true };
  const rows: Array<Record<string, unknown>> = [];
  const ceiling = await startCeiling(o.child);
  await call(ceiling.baseUrl, 'GET', '/x', null);
  const bareRss = mb(ceiling.rss());
  const bareAnon = mb(ceiling.rssAnon());
  await ceiling.close();
  for (const engine of engines()) {
    const server = await startBenchServer(engine, { child: o.child });
    try {
      const anon = (what: string) => [what, `anon ${mb(server.rssAnon())} MB (bare koa ${bareAnon})`].filter(Boolean).join('; ');
      await sleep(500);
      const atStart = mb(server.rss());
      rows.push({ db: engine, figure: 'idle RSS MB 0.5 s after start', value: atStart, 'bare koa MB': bareRss, ratio: round(atStart / bareRss, 2), target: '<= 70', note: anon(server.mode) });
      // The server gives memory back once it has been idle for a while (src/cli/idle-gc.ts looks every 10 s);
      // full runs only, where the server is `hearth start` in its own process.
      if (o.child) {
        await sleep(SETTLE_MS);
        const settled = mb(server.rss());
        rows.push({ db: engine, figure: `idle RSS MB ${SETTLE_MS / 1000} s after start`, value: settled, 'bare koa MB': bareRss, ratio: round(settled / bareRss, 2), target: '<= 70', note: anon('') });
      }
      await lightTraffic(server.baseUrl, o.lightSeconds);
      await sleep(1000);
      const afterLight = mb(server.rss());
      rows.push({ db: engine, figure: `idle RSS MB after ${o.lightSeconds} s light traffic`, value: afterLight, 'bare koa MB': bareRss, ratio: round(afterLight / bareRss, 2), target: '<= 70', note: anon('1 s after the traffic') });
      if (o.child) {
        await sleep(IDLE_WAIT_MS);
        const afterIdle = mb(server.rss());
        rows.push({ db: engine, figure: `idle RSS MB after ${o.lightSeconds} s light traffic and ${IDLE_WAIT_MS / 1000} s idle`, value: afterIdle, 'bare koa MB': bareRss, ratio: round(afterIdle / bareRss, 2), target: '<= 70', note: anon('') });
      }

      const fx = await buildFixture(server.baseUrl, 10, [50], [10]);
      const samples: Array<[number, number]> = [];
      const t0 = performance.now();
      let running = true;
      const sampler = (async () => {
        while (running) {
          samples.push([(performance.now() - t0) / 60_000, server.rss() / 1024 / 1024]);
          await sleep(250);
        }
      })();
      const f = await sendLoad(server, fx, 10, 50, o.loadSeconds);
      running = false;
      await sampler;
      const peak = round(Math.max(...samples.map(([, y]) => y)), 1);
      const secondHalf = samples.slice(Math.floor(samples.length / 2));
      rows.push({ db: engine, figure: `peak RSS MB, ${o.loadSeconds} s of 10 clients x 50 rooms`, value: peak, 'bare koa MB': bareRss, ratio: round(peak / bareRss, 2), target: '<= 250', note: `${f.perSecond} ev/s` });
      rows.push({ db: engine, figure: 'RSS slope MB/min, second half', value: round(slope(secondHalf), 1), 'bare koa MB': '', ratio: '', target: 'flat', note: `${samples.length} samples` });
      // V8's heap grows in a sawtooth, so a slope over seconds says little; the peaks of the two halves show
      // whether the top of the sawtooth keeps climbing.
      const firstPeak = round(Math.max(...samples.slice(0, samples.length - secondHalf.length).map(([, y]) => y)), 1);
      const secondPeak = round(Math.max(...secondHalf.map(([, y]) => y)), 1);
      rows.push({ db: engine, figure: 'peak RSS MB, first half / second half', value: `${firstPeak} / ${secondPeak}`, 'bare koa MB': '', ratio: '', target: 'flat', note: '' });
    } finally {
      await server.close();
    }
  }
  return { scenario: 'memory', parameters: o, rows };
}
