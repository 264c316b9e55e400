import { performance } from 'node:perf_hooks';
import type { ScenarioResult } from '../run.js';
import { startCeiling } from '../lib/ceiling.js';
import { call, createRoom, joinRoom, pool, registerUsers, sendText, type User } from '../lib/client.js';
import { engines, type Engine } from '../lib/engines.js';
import { rawInsertRate } from '../lib/raw-insert.js';
import { startBenchServer, type BenchServer } from '../lib/server.js';
import { percentile, round } from '../lib/stats.js';

// Scenario 3, message sending: N concurrent clients (each its own user) send m.room.message as fast as they can
// into 1 room or spread over many rooms, for a fixed time. Ceilings in the same run: the same clients against a
// bare koa JSON endpoint (HTTP ceiling) and a raw one-row-per-commit insert loop (database ceiling).

export interface SendOptions {
  clients: number[];
  rooms: number[];
  seconds: number;
  child: boolean;
}

export interface SendFixture {
  users: User[];
  /** rooms[1] = one room everybody joined; rooms[n] = n rooms. */
  roomSets: Map<number, string[]>;
}

/** Room j of a set of n belongs to client i when j ≡ i (mod clients); with fewer rooms than clients, rooms are shared. */
export function roomsOf(set: string[], clients: number, i: number): string[] {
  if (set.length <= clients) return [set[i % set.length] as string];
  return set.filter((_, j) => j % clients === i % clients);
}

export async function buildFixture(baseUrl: string, maxClients: number, roomCounts: number[], clientCounts: number[]): Promise<SendFixture> {
  const users = await registerUsers(baseUrl, 'sender', maxClients);
  const owner = users[0] as User;
  const roomSets = new Map<number, string[]>();
  for (const n of roomCounts) {
    // One at a time: concurrent createRoom by one user can derive the same v12 room id (see the bench report).
    const set = await pool(Array.from({ length: n }, (_, j) => j), 1, () => createRoom(baseUrl, owner));
    roomSets.set(n, set);
    const joins = new Set<string>();
    for (const c of clientCounts) {
      for (let i = 1; i < c; i++) for (const r of roomsOf(set, c, i)) joins.add(`${i}\u0000${r}`);
    }
    await pool([...joins], 8, (k) => {
      const [i, r] = k.split('\u0000') as [string, string];
      return joinRoom(baseUrl, users[Number(i)] as User, r);
    });
  }
  return { users, roomSets };
}

export interface LoadFigures {
  events: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/**
 * One untimed call per client, all at once, so each client has its connection open before timing starts. A
 * real client keeps its connection; here all of them would open in the first milliseconds of the timed window,
 * and the server accepts one new connection per turn of its event loop (libuv accepts once per poll, see
 * bench/profile-tail.ts), so under load the 50th waited 50 busy turns: seconds of connection setup counted as
 * send latency, and the whole p99 of a 50-client run.
 */
export async function warmConnections(clients: number, send: (i: number, k: number) => Promise<unknown>): Promise<void> {
  await Promise.all(Array.from({ length: clients }, (_, i) => send(i, 0)));
}

/** `clients` loops, each calling `send(i, k)` again as soon as its last call returned, until `seconds` after `start`; `record` gets each call's start (ms after `start`) and duration. */
export async function closedLoops(
  clients: number,
  start: number,
  seconds: number,
  send: (i: number, k: number) => Promise<unknown>,
  record: (at: number, ms: number, i: number, k: number) => void,
): Promise<void> {
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      for (let k = 0; performance.now() < end; k++) {
        const t = performance.now();
        await send(i, k);
        record(t - start, performance.now() - t, i, k);
      }
    }),
  );
}

/** `clients` loops of `send(i, k)` for `seconds` on open connections; figures of the completed calls. */
export async function timedLoad(clients: number, seconds: number, send: (i: number, k: number) => Promise<unknown>): Promise<LoadFigures> {
  await warmConnections(clients, send);
  const lat: number[] = [];
  const start = performance.now();
  await closedLoops(clients, start, seconds, send, (_at, ms) => lat.push(ms));
  const elapsed = (performance.now() - start) / 1000;
  return { events: lat.length, perSecond: round(lat.length / elapsed, 0), p50: round(percentile(lat, 50), 2), p99: round(percentile(lat, 99), 2) };
}

export function sendLoad(server: BenchServer, fx: SendFixture, clients: number, rooms: number, seconds: number): Promise<LoadFigures> {
  const set = fx.roomSets.get(rooms) ?? [];
  return timedLoad(clients, seconds, (i, k) => {
    const mine = roomsOf(set, clients, i);
    return sendText(server.baseUrl, fx.users[i] as User, mine[k % mine.length] as string, `message ${k} from ${i}`);
  });
}

async function runEngine(engine: Engine, o: SendOptions): Promise<Array<Record<string, unknown>>> {
  const maxClients = Math.max(...o.clients);
  const rows: Array<Record<string, unknown>> = [];
  const ceiling = await startCeiling(o.child);
  const koa = new Map<number, LoadFigures>();
  try {
    for (const c of o.clients) {
      koa.set(c, await timedLoad(c, o.seconds, () => call(ceiling.baseUrl, 'PUT', '/send', null, { msgtype: 'm.text', body: 'x' })));
    }
  } finally {
    await ceiling.close();
  }
  const raw = new Map<number, number>();
  for (const c of o.clients) raw.set(c, await rawInsertRate(engine, o.seconds, engine === 'sqlite' ? 1 : Math.min(c, 10)));

  const server = await startBenchServer(engine, { child: o.child });
  try {
    const fx = await buildFixture(server.baseUrl, maxClients, o.rooms, o.clients);
    for (const r of o.rooms) {
      for (const c of o.clients) {
        const f = await sendLoad(server, fx, c, r, o.seconds);
        const k = koa.get(c);
        const db = raw.get(c) ?? Number.NaN;
        rows.push({
          db: engine,
          clients: c,
          rooms: r,
          'events/s': f.perSecond,
          'p50 ms': f.p50,
          'p99 ms': f.p99,
          'bare koa/s': k?.perSecond ?? Number.NaN,
          'vs koa': round(f.perSecond / (k?.perSecond ?? Number.NaN), 3),
          'raw insert/s': round(db, 0),
          'vs insert': round(f.perSecond / db, 3),
        });
      }
    }
  } finally {
    await server.close();
  }
  return rows;
}

export async function run(quick: boolean): Promise<ScenarioResult> {
  const o: SendOptions = quick
    ? { clients: [1, 10], rooms: [1, 5], seconds: 0.5, child: false }
    : { clients: [1, 10, 50], rooms: [1, 50], seconds: 5, child: true };
  const rows: Array<Record<string, unknown>> = [];
  for (const engine of engines()) rows.push(...(await runEngine(engine, o)));
  return { scenario: 'send', parameters: { ...o, target: '>= 2500 ev/s SQLite, >= 1500 Postgres, p99 <= 40 ms' }, rows };
}
