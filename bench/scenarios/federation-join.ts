import { performance } from 'node:perf_hooks';
import type { ScenarioResult } from '../run.js';
import { call, createRoom, registerUsers, sendText, type User } from '../lib/client.js';
import { engines } from '../lib/engines.js';
import { startFedBenchServer, type FedBenchServer } from '../lib/federation.js';
import { round } from '../lib/stats.js';

// Issue 11/12, federation join: hs1 holds a public room with N members; a user on another server joins it
// through hs1 and sends its first message. Figures: the client's /join returning, the first message being
// visible on hs1, and (partial state) the joining server holding the full member list. Measured twice, by a
// server that asks for the full state (send_join without omit_members) and by one that joins with partial
// state and resynchronises in the background (MSC3706/MSC3902). The ceiling is the bare transfer: fetching
// the same room's full state from hs1 over the C-S API (one request, no signature checks, nothing stored).

const enc = encodeURIComponent;

/** A GET retried on a dropped connection (a server whose event loop was held closes idle keep-alive sockets late). */
async function get(baseUrl: string, path: string, token: string): Promise<Record<string, unknown>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(baseUrl, 'GET', path, token);
    } catch (e) {
      if (attempt >= 3 || !(e instanceof TypeError)) throw e;
    }
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: round(performance.now() - t, 0), value };
}

/**
 * Resolves once this process has stayed nearly idle (under 15% of a core) for `quietMs`: the servers run
 * in-process, and what the bulk setup left queued (push evaluation of every join for every member, federation
 * queues) must be done before a join is timed, or the figures measure that backlog. CPU time, unlike timer
 * lag, does not count the other processes of a shared machine. Returns the ms waited.
 */
async function settle(maxMs: number, quietMs = 1_000): Promise<number> {
  const start = performance.now();
  let quietSince = start;
  while (performance.now() - quietSince < quietMs && performance.now() - start < maxMs) {
    const cpu = process.cpuUsage();
    const t = performance.now();
    await new Promise((r) => setTimeout(r, 250));
    const used = process.cpuUsage(cpu);
    if ((used.user + used.system) / 1000 / (performance.now() - t) > 0.15) quietSince = performance.now();
  }
  return performance.now() - start;
}

async function poll(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function eventVisible(hs: FedBenchServer, viewer: User, roomId: string, eventId: string): Promise<boolean> {
  try {
    await get(hs.baseUrl, `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`, viewer.token);
    return true;
  } catch {
    return false;
  }
}

async function joinedCount(hs: FedBenchServer, viewer: User, roomId: string): Promise<number> {
  const r = await get(hs.baseUrl, `/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`, viewer.token);
  return Object.keys((r.joined ?? {}) as Record<string, unknown>).length;
}

interface JoinFigures {
  joinMs: number;
  firstMessageMs: number;
  fullStateMs: number;
  /** CPU ms of this process (all three servers and the client) to each point: wall time on a shared machine mostly measures the neighbours. */
  joinCpu: number;
  firstMessageCpu: number;
  fullStateCpu: number;
}

/** CPU ms this process used since `from` (a process.cpuUsage() reading). */
function cpuMs(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return round((d.user + d.system) / 1000, 0);
}

/** A user of `joiner` joins the room through hs1, sends at once; times until hs1 has the message and the joiner all members. */
async function joinAndSend(hs1: FedBenchServer, owner: User, joiner: FedBenchServer, roomId: string, members: number): Promise<JoinFigures> {
  const [user] = (await registerUsers(joiner.baseUrl, 'joiner', 1)) as [User];
  const start = performance.now();
  const cpu = process.cpuUsage();
  await call(joiner.baseUrl, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(hs1.name)}`, user.token, {});
  const joinMs = performance.now() - start;
  const joinCpu = cpuMs(cpu);
  const eventId = await sendText(joiner.baseUrl, user, roomId, 'first message');
  await poll('the first message on hs1', () => eventVisible(hs1, owner, roomId, eventId), 600_000);
  const firstMessageMs = performance.now() - start;
  const firstMessageCpu = cpuMs(cpu);
  // The member list on the joining server (/joined_members waits for a partial-state room's resync).
  await poll('the full member list on the joining server', async () => (await joinedCount(joiner, user, roomId)) >= members, 600_000);
  const fullStateMs = performance.now() - start;
  const fullStateCpu = cpuMs(cpu);
  return { joinMs: round(joinMs, 0), firstMessageMs: round(firstMessageMs, 0), fullStateMs: round(fullStateMs, 0), joinCpu, firstMessageCpu, fullStateCpu };
}

export async function run(quick: boolean, members = quick ? 60 : 10_000): Promise<ScenarioResult> {
  const o = { members, concurrency: 16 };
  const rows: Array<Record<string, unknown>> = [];
  for (const engine of engines()) {
    const overrides: Record<string, string> = {};
    const servers: FedBenchServer[] = [];
    try {
      const hs1 = await startFedBenchServer('hs1.bench', engine, overrides);
      servers.push(hs1);
      const full = await startFedBenchServer('hs2.bench', engine, overrides, { extra: { federation_partial_state_joins: false } });
      servers.push(full);
      const partial = await startFedBenchServer('hs3.bench', engine, overrides, { extra: { federation_partial_state_joins: true } });
      servers.push(partial);

      const setup = performance.now();
      const setupCpu = process.cpuUsage();
      const [owner] = (await registerUsers(hs1.baseUrl, 'owner', 1)) as [User];
      const roomId = await createRoom(hs1.baseUrl, owner, { name: 'large room' });
      const users = await registerUsers(hs1.baseUrl, 'member', o.members - 1);
      const registeredS = (performance.now() - setup) / 1000;
      const registeredCpuS = round(cpuMs(setupCpu) / 1000, 1);
      // Joins one by one over HTTP cost a state load each (quadratic in a 10,000-member room); the room service
      // builds and auth-checks the same join events, hundreds per transaction.
      await hs1.services.rooms.joinLocalUsers(roomId, users.map((u) => u.userId));
      const setupS = round((performance.now() - setup) / 1000, 1);
      const joinsS = round(setupS - registeredS, 1);
      const joinsCpuS = round(cpuMs(setupCpu) / 1000 - registeredCpuS, 1);
      const settleMax = quick ? 20_000 : 1_800_000;
      const backlogCpu = process.cpuUsage();
      const settledS = round((await settle(settleMax)) / 1000, 1);
      const backlogCpuS = round(cpuMs(backlogCpu) / 1000, 1);
      // The bulk joins held hs1's event loop; let it close the keep-alive sockets that idled meanwhile, so the
      // client does not reuse one the server is closing (ECONNRESET).
      await new Promise((r) => setTimeout(r, 6_000));

      // Ceiling: the full state of the room in one C-S request from hs1 (what any join must at least move).
      await get(hs1.baseUrl, `/_matrix/client/v3/rooms/${enc(roomId)}/state`, owner.token);
      const bare = await timed(() => get(hs1.baseUrl, `/_matrix/client/v3/rooms/${enc(roomId)}/state`, owner.token));

      const setupNote =
        `setup ${setupS} s (${o.members - 1} registrations ${round(registeredS, 1)} s / ${registeredCpuS} s CPU, joins ${joinsS} s / ${joinsCpuS} s CPU, ` +
        `then hs1 busy ${settledS} s / ${backlogCpuS} s CPU more)`;
      for (const [label, joiner, expected] of [
        ['full state', full, o.members + 1],
        ['partial state', partial, o.members + 2],
      ] as const) {
        await settle(settleMax);
        let f: JoinFigures;
        try {
          f = await joinAndSend(hs1, owner, joiner, roomId, expected);
        } catch (e) {
          // A join that does not complete is itself the finding; keep the other join's figures.
          if (quick) throw e;
          rows.push({ db: engine, join: label, figure: 'error', value: e instanceof Error ? e.message : String(e), note: setupNote });
          continue;
        }
        rows.push({ db: engine, join: label, figure: 'client /join returned ms', value: f.joinMs, 'cpu ms': f.joinCpu, 'bare /state ms': bare.ms, ratio: round(f.joinMs / Math.max(1, bare.ms), 1), note: setupNote });
        rows.push({ db: engine, join: label, figure: 'first message on hs1 ms', value: f.firstMessageMs, 'cpu ms': f.firstMessageCpu, 'bare /state ms': '', ratio: '', note: 'from the start of /join' });
        rows.push({ db: engine, join: label, figure: 'full member list on joiner ms', value: f.fullStateMs, 'cpu ms': f.fullStateCpu, 'bare /state ms': '', ratio: '', note: 'from the start of /join' });
      }
    } finally {
      for (const s of servers.reverse()) await s.close();
    }
  }
  return { scenario: 'federation-join', parameters: o, rows };
}
