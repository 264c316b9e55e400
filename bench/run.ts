// Runs the benchmark scenarios and prints a table per scenario; writes every figure as JSON under
// bench/results/ (scenario, parameters, figures, Node version, date). `--quick` is a short smoke run that
// `npm test` exercises so the harness never rots; `--only NAME` runs one scenario.
//
//   npm run bench            full figures (minutes)
//   npm run bench -- --quick smoke run (seconds)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export interface ScenarioResult {
  scenario: string;
  parameters: Record<string, unknown>;
  rows: Array<Record<string, unknown>>;
}

export interface Scenario {
  name: string;
  describe: string;
  run(quick: boolean): Promise<ScenarioResult>;
}

/** Every scenario, loaded lazily so one scenario's imports do not slow another. */
export const scenarios: Scenario[] = [
  {
    name: 'state-res',
    describe: 'state resolution of two forks of a synthetic room (protocol core)',
    async run(quick) {
      const { run } = await import('./state-res.js');
      const members = quick ? 500 : 10_000;
      const repeats = quick ? 1 : 5;
      const result = await run({ members, repeats });
      return { scenario: 'state-res', parameters: { members, repeats }, rows: result.rows as unknown as Array<Record<string, unknown>> };
    },
  },
  {
    name: 'thumbnails',
    describe: 'thumbnails/s through the media repository next to raw sharp',
    async run(quick) {
      const { run } = await import('./thumbnails.js');
      const parameters = quick ? { images: 3, width: 1200, height: 800, thumbnails: 24 } : {};
      const result = await run(parameters);
      return { scenario: 'thumbnails', parameters, rows: result.rows as unknown as Array<Record<string, unknown>> };
    },
  },
  {
    name: 'send',
    describe: '3: message sending, 1/10/50 clients in 1 and 50 rooms, next to bare koa and a raw insert loop',
    run: async (quick) => (await import('./scenarios/send.js')).run(quick),
  },
  {
    name: 'wake',
    describe: '4 and 5: send-to-sync wake-up p50/p99 and fan-out to N long-polls, next to bare koa long-polls',
    run: async (quick) => (await import('./scenarios/wake.js')).run(quick),
  },
  {
    name: 'sync-rooms',
    describe: '6: initial and incremental sync for a user in 1,000 rooms (20 in quick), next to bare koa serving the same body',
    run: async (quick) => (await import('./scenarios/sync-rooms.js')).run(quick),
  },
  {
    name: 'memory',
    describe: '1 and 9: idle RSS after start and after light traffic; peak RSS and growth under sustained sending',
    run: async (quick) => (await import('./scenarios/memory.js')).run(quick),
  },
  {
    name: 'appservice',
    describe: '8: appservice delivery to one bridge: events/s and send-to-bridge latency, next to the same sends without the bridge',
    run: async (quick) => (await import('./scenarios/appservice.js')).run(quick),
  },
  {
    name: 'federation-join',
    describe: '7: a user on another server joins a room of 10,000 members (60 in quick) and sends, with and without partial state',
    run: async (quick) => (await import('./scenarios/federation-join.js')).run(quick),
  },
  {
    name: 'cold-start',
    describe: '2: spawn `hearth start` to the first /versions answer, next to spawning bare koa',
    run: async (quick) => (await import('./scenarios/cold-start.js')).run(quick),
  },
];

function formatCell(v: unknown): string {
  if (typeof v === 'number' && !Number.isInteger(v)) return v.toFixed(2);
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function printTable(result: ScenarioResult, out: NodeJS.WritableStream): void {
  out.write(`\n## ${result.scenario} ${JSON.stringify(result.parameters)}\n`);
  const rows = result.rows.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, formatCell(v)])),
  );
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(width[i] ?? 0)).join(' | ') + ' |\n';
  out.write(line(cols));
  out.write(line(width.map((w) => '-'.repeat(w))));
  for (const r of rows) out.write(line(cols.map((c) => r[c] ?? '')));
}

export async function runBenchmarks(opts: { quick: boolean; only?: string; write?: boolean; out?: NodeJS.WritableStream }) {
  const out = opts.out ?? process.stdout;
  const selected = scenarios.filter((s) => !opts.only || s.name === opts.only);
  if (selected.length === 0) throw new Error(`no scenario named ${opts.only}`);
  const results: ScenarioResult[] = [];
  for (const s of selected) {
    // A failing scenario (a server that stops answering under load is itself a finding) is reported as a row
    // and the run goes on, so one scenario never costs the figures of the others. Quick runs (tests) rethrow.
    let r: ScenarioResult;
    try {
      r = await s.run(opts.quick);
    } catch (e) {
      if (opts.quick) throw e;
      r = { scenario: s.name, parameters: {}, rows: [{ error: e instanceof Error ? `${e.message} ${String((e as { cause?: unknown }).cause ?? '')}` : String(e) }] };
    }
    printTable(r, out);
    results.push(r);
  }
  if (opts.write ?? true) {
    const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
    mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = join(dir, `${opts.quick ? 'quick-' : ''}${stamp}.json`);
    writeFileSync(file, JSON.stringify({ node: process.version, date: new Date().toISOString(), quick: opts.quick, results }, null, 2));
    out.write(`\nwritten ${file}\n`);
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
  await runBenchmarks({ quick: values.quick ?? false, ...(values.only ? { only: values.only } : {}) });
}
