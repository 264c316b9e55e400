import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ScenarioResult } from '../run.js';
import { engines } from '../lib/engines.js';
import { cliCommand, prepareConfig, ROOT, spawnUntil, stopChild } from '../lib/server.js';
import { round } from '../lib/stats.js';

// Scenario 2: cold start, from spawning `hearth start` to the first 200 from /versions, on a fresh database
// (migrations run) and again on the now-migrated one. Ceiling: spawning the bare koa process to its first answer.

/** Spawns and polls `url()` until it answers 200; ms from spawn. */
async function startToFirstAnswer(args: string[], path: string): Promise<number> {
  const t0 = performance.now();
  const { child, match } = await spawnUntil(args, /listening on (http:\/\/\S+)/);
  try {
    for (;;) {
      try {
        const res = await fetch(`${match}${path}`);
        await res.arrayBuffer();
        if (res.status === 200) return round(performance.now() - t0, 0);
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
  const bare = await startToFirstAnswer(['--import', 'tsx', join(ROOT, 'bench', 'lib', 'bare-koa.ts')], '/x');
  for (const engine of engines()) {
    const prepared = await prepareConfig(engine);
    try {
      const args = [...cli.args, 'start', '--config', prepared.configPath];
      const fresh = await startToFirstAnswer(args, '/_matrix/client/versions');
      const warm = await startToFirstAnswer(args, '/_matrix/client/versions');
      rows.push({ db: engine, figure: 'cold start ms, fresh database', value: fresh, 'bare koa ms': bare, ratio: round(fresh / bare, 2), target: '<= 400', runner: cli.label });
      rows.push({ db: engine, figure: 'cold start ms, migrated database', value: warm, 'bare koa ms': bare, ratio: round(warm / bare, 2), target: '<= 400', runner: cli.label });
    } finally {
      await prepared.cleanup();
    }
  }
  return { scenario: 'cold-start', parameters: { runner: cli.label, ceiling: 'node --import tsx bench/lib/bare-koa.ts' }, rows };
}
