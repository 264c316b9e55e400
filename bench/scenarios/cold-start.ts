import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ScenarioResult } from '../run.js';
import { engines } from '../lib/engines.js';
import { bareKoaProcessArgs } from '../lib/ceiling.js';
import { cliCommand, prepareConfig, spawnUntil, stopChild } from '../lib/server.js';
import { round } from '../lib/stats.js';

// Scenario 2: cold start, from spawning `hearth start` to the first 200 from /versions, on a fresh database
// (migrations run) and again on the now-migrated one, in wall time and in the CPU time the process used to get
// there. Ceiling: spawning the bare koa process to its first answer.

/** CPU time (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function processCpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * (1000 / CLOCK_TICKS_PER_SECOND);
  } catch {
    return Number.NaN;
  }
}

/** Linux's USER_HZ, the unit of the times in /proc/PID/stat, is 100 on every mainstream build. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Spawns and polls `url()` until it answers 200: ms from spawn, and the CPU the process used to get there
 * (wall time on a shared machine mostly measures the other processes; CPU time does not).
 */
async function startToFirstAnswer(args: string[], path: string): Promise<{ ms: number; cpuMs: number }> {
  const t0 = performance.now();
  const { child, match } = await spawnUntil(args, /listening on (http:\/\/\S+)/);
  try {
    for (;;) {
      try {
        const res = await fetch(`${match}${path}`);
        await res.arrayBuffer();
        if (res.status === 200) return { ms: round(performance.now() - t0, 0), cpuMs: processCpuMs(child.pid) };
      } catch {
        // not accepting yet
      }
      await sleep(2);
    }
  } finally {
    await stopChild(child);
  }
}

export async function run(_quick: boolean): Promise<ScenarioResult> {
  const cli = cliCommand();
  const rows: Array<Record<string, unknown>> = [];
  const bare = await startToFirstAnswer(bareKoaProcessArgs(), '/x');
  for (const engine of engines()) {
    const prepared = await prepareConfig(engine);
    try {
      const args = [...cli.args, 'start', '--config', prepared.configPath];
      const fresh = await startToFirstAnswer(args, '/_matrix/client/versions');
      const warm = await startToFirstAnswer(args, '/_matrix/client/versions');
      for (const [label, t] of [['fresh', fresh], ['migrated', warm]] as const) {
        rows.push({
          db: engine,
          figure: `cold start ms, ${label} database`,
          value: t.ms,
          'bare koa ms': bare.ms,
          ratio: round(t.ms / bare.ms, 2),
          'cpu ms': t.cpuMs,
          'bare koa cpu ms': bare.cpuMs,
          'cpu ratio': round(t.cpuMs / bare.cpuMs, 2),
          target: '<= 400',
          runner: cli.label,
        });
      }
    } finally {
      await prepared.cleanup();
    }
  }
  return { scenario: 'cold-start', parameters: { runner: cli.label, ceiling: 'node on bench/lib/bare-koa.ts transpiled to JavaScript' }, rows };
}
