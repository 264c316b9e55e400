import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ScenarioResult } from '../run.js';
import { startCeiling } from '../lib/ceiling.js';
import { call, createRoom, joinRoom, pool, registerUsers, sendText, sync, syncEventIds, type User } from '../lib/client.js';
import { engines } from '../lib/engines.js';
import { startBenchServer, type BenchServer } from '../lib/server.js';
import { percentile, round } from '../lib/stats.js';

// Scenario 4, send-to-sync wake-up: one user long-polls /sync, another sends; the figure is the time from the
// start of the send to the long-poll returning the event. Scenario 5, fan-out: N members long-poll the same room,
// one message; the time until every one of them has it. Ceiling for both: the same long-polls against bare koa,
// woken by one POST.

/** Cheap syncs for many users: one timeline event, members loaded lazily. */
export const FILTER = JSON.stringify({ room: { timeline: { limit: 1 }, state: { lazy_load_members: true } }, presence: { types: [] } });

export async function since(server: BenchServer, user: User): Promise<string> {
  return String((await sync(server.baseUrl, user, { filter: FILTER, timeout: '0' })).next_batch);
}

/**
 * Long-polls from `token` until the event named by `target` has arrived; resolves with the time it arrived.
 * The sync may answer before the send's own response names the event, so arrivals are recorded as they come.
 */
export function waitFor(server: BenchServer, user: User, token: string, target: Promise<string>): Promise<{ at: number; next: string }> {
  const seen = new Map<string, number>();
  const abort = new AbortController();
  let t = token;
  let id: string | null = null;
  return new Promise((resolve, reject) => {
    const finish = (at: number) => {
      abort.abort();
      resolve({ at, next: t });
    };
    target.then((v) => {
      id = v;
      const at = seen.get(v);
      if (at !== undefined) finish(at);
    }, reject);
    void (async () => {
      while (!abort.signal.aborted) {
        let body: Record<string, unknown>;
        try {
          body = await sync(server.baseUrl, user, { filter: FILTER, timeout: '30000', since: t }, abort.signal);
        } catch (e) {
          // A keep-alive socket the server closed while idle (a slow setup on a busy machine): ask again.
          if (!abort.signal.aborted && (e as { cause?: { code?: string } }).cause?.code === 'ECONNRESET') continue;
          throw e;
        }
        const at = performance.now();
        t = String(body.next_batch);
        for (const e of syncEventIds(body)) seen.set(e, at);
        if (id !== null && seen.has(id)) finish(at);
      }
    })().catch((e: unknown) => {
      if (!abort.signal.aborted) reject(e instanceof Error ? e : new Error(String(e)));
    });
  });
}

async function wakeup(server: BenchServer, rounds: number): Promise<{ p50: number; p99: number }> {
  const [a, b] = (await registerUsers(server.baseUrl, 'wake', 2)) as [User, User];
  const room = await createRoom(server.baseUrl, a);
  await joinRoom(server.baseUrl, b, room);
  let token = await since(server, a);
  const lat: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let release: (id: string) => void = () => undefined;
    const got = waitFor(server, a, token, new Promise<string>((r) => (release = r)));
    await sleep(5); // let the long-poll reach the server and park
    const t0 = performance.now();
    release(await sendText(server.baseUrl, b, room, `wake ${i}`));
    const { at, next } = await got;
    token = next;
    lat.push(at - t0);
  }
  return { p50: round(percentile(lat, 50), 2), p99: round(percentile(lat, 99), 2) };
}

async function bareWakeup(baseUrl: string, rounds: number): Promise<{ p50: number; p99: number }> {
  const lat: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const got = call(baseUrl, 'GET', '/wait', null).then(() => performance.now());
    // Woken only once parked: a /wake that overtakes its /wait (a busy machine) would leave it hanging for good.
    while (Number((await call(baseUrl, 'GET', '/waiters', null)).waiting) < 1) await sleep(1);
    const t0 = performance.now();
    await call(baseUrl, 'POST', '/wake', null, { i });
    lat.push((await got) - t0);
  }
  return { p50: round(percentile(lat, 50), 2), p99: round(percentile(lat, 99), 2) };
}

interface Fanout {
  /** The first message, on code the server has not run hot yet. */
  coldMs: number;
  /** Median over the messages after it of the time until every member had the message. */
  allMs: number;
  /** Median over the same messages of the time until half the members had it. */
  p50: number;
  messages: number;
  setupS: number;
}

/** Fan-out of `messages` messages in turn to `members` long-polling members (the first one reported apart). */
async function fanout(server: BenchServer, members: number, messages: number): Promise<Fanout> {
  const setup = performance.now();
  const users = await registerUsers(server.baseUrl, 'fan', members);
  const owner = users[0] as User;
  const room = await createRoom(server.baseUrl, owner);
  await pool(users.slice(1), 8, (u) => joinRoom(server.baseUrl, u, room));
  let tokens = await pool(users, 16, (u) => since(server, u));
  const setupS = (performance.now() - setup) / 1000;
  const all: number[] = [];
  const half: number[] = [];
  for (let m = 0; m < messages; m++) {
    let release: (id: string) => void = () => undefined;
    const target = new Promise<string>((r) => (release = r));
    const arrivals = Promise.all(users.map((u, i) => waitFor(server, u, tokens[i] as string, target)));
    // Long-polls must all be parked before the send; 1,000 connections take a moment to open.
    await sleep(Math.max(200, members * 2));
    const t0 = performance.now();
    release(await sendText(server.baseUrl, owner, room, `fan-out ${m}`));
    const got = await arrivals;
    tokens = got.map((g) => g.next);
    const at = got.map((g) => g.at - t0);
    all.push(Math.max(...at));
    half.push(percentile(at, 50));
  }
  const warm = { all: all.slice(1), half: half.slice(1) };
  return {
    coldMs: round(all[0] as number, 1),
    allMs: round(percentile(warm.all, 50), 1),
    p50: round(percentile(warm.half, 50), 1),
    messages: warm.all.length,
    setupS: round(setupS, 1),
  };
}

export async function bareFanout(baseUrl: string, members: number): Promise<number> {
  const arrivals = Promise.all(Array.from({ length: members }, () => call(baseUrl, 'GET', '/wait', null).then(() => performance.now())));
  while (Number((await call(baseUrl, 'GET', '/waiters', null)).waiting) < members) await sleep(10);
  const t0 = performance.now();
  await call(baseUrl, 'POST', '/wake', null, { fan: true });
  return round(Math.max(...(await arrivals)) - t0, 1);
}

export async function run(quick: boolean): Promise<ScenarioResult> {
  // Fan-out: a first message, then `messages` more whose median is the figure (one fan-out on a shared
  // two-core machine is a single noisy sample, and the first runs code not yet optimised; the ceiling's
  // long-polls run on code the wake-up rounds have warmed).
  const o = quick ? { rounds: 10, members: 20, messages: 2, child: false } : { rounds: 200, members: 1000, messages: 7, child: true };
  const rows: Array<Record<string, unknown>> = [];
  const ceiling = await startCeiling(o.child);
  let bareW: { p50: number; p99: number };
  let bareF: number;
  try {
    bareW = await bareWakeup(ceiling.baseUrl, o.rounds);
    const bareRuns: number[] = [];
    for (let m = 0; m < o.messages; m++) bareRuns.push(await bareFanout(ceiling.baseUrl, o.members));
    bareF = round(percentile(bareRuns, 50), 1);
  } finally {
    await ceiling.close();
  }
  for (const engine of engines()) {
    const server = await startBenchServer(engine, { child: o.child });
    try {
      const w = await wakeup(server, o.rounds);
      rows.push({ db: engine, figure: 'wake-up p50 ms', value: w.p50, 'bare koa': bareW.p50, ratio: round(w.p50 / bareW.p50, 2), target: '' });
      rows.push({ db: engine, figure: 'wake-up p99 ms', value: w.p99, 'bare koa': bareW.p99, ratio: round(w.p99 / bareW.p99, 2), target: '<= 15' });
      const f = await fanout(server, o.members, o.messages + 1);
      rows.push({ db: engine, figure: `fan-out to ${o.members}: all ms, first message`, value: f.coldMs, 'bare koa': bareF, ratio: round(f.coldMs / bareF, 2), target: '' });
      rows.push({ db: engine, figure: `fan-out to ${o.members}: all ms, median of next ${f.messages}`, value: f.allMs, 'bare koa': bareF, ratio: round(f.allMs / bareF, 2), target: '<= 150' });
      rows.push({ db: engine, figure: `fan-out to ${o.members}: p50 ms, median of next ${f.messages}`, value: f.p50, 'bare koa': '', ratio: '', target: `(setup ${f.setupS} s)` });
    } finally {
      await server.close();
    }
  }
  return { scenario: 'wake', parameters: o, rows };
}
