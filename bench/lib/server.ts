import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { loadConfigWithWarnings } from '../../src/config/load.js';
import { rateLimitGroups } from '../../src/config/rate-limits.js';
import { createLogger } from '../../src/http/logger.js';
import { startHomeserver } from '../../src/main.js';
import { createPostgresDatabase, type Engine } from './engines.js';

// A homeserver for a benchmark: a real config file (homeserver.yaml) in a temp directory, a fresh database on
// the chosen engine, and either the server in this process (quick runs: cheap, but RSS includes the load
// generator) or `hearth start` as a child process (full runs: RSS is the server's alone).

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_SECRET = 'bench-shared-secret';

export interface BenchServer {
  baseUrl: string;
  engine: Engine;
  /** 'child process' or 'in-process'. */
  mode: string;
  /** The process running the server. */
  pid: number;
  /** Resident set size in bytes of the process running the server. */
  rss(): number;
  /**
   * The anonymous part of that RSS (heap, stacks, malloc): what the process itself allocated. The rest is
   * file-backed, mostly the node binary's pages, shared with every other node process and varying with which
   * code paths have run.
   */
  rssAnon(): number;
  /** CPU time (user + system) the server process used so far, in ms: the server's alone only as a child. */
  cpuMs(): number;
  close(): Promise<void>;
}

/**
 * How `hearth start` is spawned: the built CLI when dist/ exists, else the TypeScript source through tsx, with
 * the Node options `npm start` passes (package.json's start script), so a benchmark measures what operators run.
 */
export function cliCommand(): { args: string[]; label: string } {
  const { env, flags } = startScript();
  const node = [...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'node', ...flags];
  const built = join(ROOT, 'dist', 'src', 'cli', 'hearth.mjs');
  if (existsSync(built)) return { args: [...flags, built], label: [...node, 'dist/src/cli/hearth.mjs'].join(' ') };
  return { args: [...flags, '--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')], label: [...node, '--import tsx src/cli/main.ts'].join(' ') };
}

/**
 * package.json's start script, read as `[exec] [env] [NAME=value ...] node [--option ...] script`: the environment it gives
 * node (variables already set here win, to weigh another value) and the `--` options between `node` and the
 * script (HS_BENCH_NODE_FLAGS, space separated, may be empty, replaces them).
 */
export function startScript(): { env: Record<string, string>; flags: string[] } {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.trim().split(/\s+/);
  // `exec env A=1 node ...`: the shell npm runs the script in hands over to node (which then gets npm's signals).
  if (words[0] === 'exec') words.shift();
  if (words[0] === 'env') words.shift();
  const env: Record<string, string> = {};
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] as string)) {
    const word = words.shift() as string;
    const name = word.slice(0, word.indexOf('='));
    env[name] = process.env[name] ?? word.slice(name.length + 1);
  }
  if (words[0] !== 'node') throw new Error(`package.json's start script does not run node: ${pkg.scripts.start}`);
  const override = process.env.HS_BENCH_NODE_FLAGS;
  if (override !== undefined) return { env, flags: override.split(/\s+/).filter(Boolean) };
  const flags: string[] = [];
  for (const w of words.slice(1)) {
    if (!w.startsWith('--')) break;
    flags.push(w);
  }
  return { env, flags };
}

/** Rate limits a benchmark must not measure: every limiter Synapse's config names, opened wide. */
export function openRateLimits(): Record<string, unknown> {
  const wide = { per_second: 1_000_000, burst_count: 1_000_000 };
  const out: Record<string, unknown> = {};
  for (const [top, subs] of rateLimitGroups()) {
    out[`rc_${top}`] = subs === null ? wide : Object.fromEntries(subs.map((s) => [s, wide]));
  }
  return out;
}

export interface PreparedConfig {
  dir: string;
  configPath: string;
  cleanup(): Promise<void>;
}

/** Writes homeserver.yaml (port 0, fresh database, `extra` keys on top) into a new temp directory. */
export async function prepareConfig(engine: Engine, extra: Record<string, unknown> = {}): Promise<PreparedConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-bench-'));
  const pgDb = engine === 'postgres' ? await createPostgresDatabase() : null;
  const database = pgDb
    ? { name: 'psycopg2', args: { dsn: pgDb.url, cp_min: 1, cp_max: 10 } }
    : { name: 'sqlite3', args: { database: join(dir, 'homeserver.db') } };
  const config = {
    server_name: 'bench.local',
    listeners: [{ port: 0, type: 'http', bind_addresses: ['127.0.0.1'], resources: [{ names: ['client', 'federation'] }] }],
    database,
    signing_key_path: join(dir, 'signing.key'),
    media_store_path: join(dir, 'media_store'),
    trusted_key_servers: [],
    report_stats: false,
    registration_shared_secret: SHARED_SECRET,
    bcrypt_rounds: 4,
    // Per-request info logs would be measured along with the server, and warnings (a new signing key) would
    // interleave with the figures.
    log_level: 'error',
    ...openRateLimits(),
    ...extra,
  };
  const configPath = join(dir, 'homeserver.yaml');
  await writeFile(configPath, stringify(config));
  return {
    dir,
    configPath,
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
      await pgDb?.drop();
    },
  };
}

/** RSS of another process from /proc (Linux); NaN where /proc is missing. */
export function processRss(pid: number | 'self'): number {
  return procStatusBytes(pid, 'VmRSS');
}

/** The anonymous part of a process's RSS, from /proc (Linux); NaN where /proc is missing. */
export function processRssAnon(pid: number | 'self'): number {
  return procStatusBytes(pid, 'RssAnon');
}

function procStatusBytes(pid: number | 'self', field: string): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) of another process in ms from /proc/<pid>/stat (Linux); NaN where /proc is missing. */
export function processCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU time (ms) of a process's main thread alone, the JavaScript event loop's (Linux); NaN elsewhere. */
export function mainThreadCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuMs(path: string): number {
  try {
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15 (clock ticks, 100/s).
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/**
 * Spawns a node process and resolves once a stdout line matches `ready` (its first capture group is returned).
 * Every node process a benchmark spawns (the server, bare koa) gets the environment `npm start` gives node.
 */
export function spawnUntil(args: string[], ready: RegExp, timeoutMs = 60_000): Promise<{ child: ChildProcess; match: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...startScript().env } });
  // HS_BENCH_CHILD_LOG=FILE: everything the child writes (its logs; --trace-gc through HS_BENCH_NODE_FLAGS) is
  // appended to FILE, to read what a benchmark's server did.
  const log = process.env.HS_BENCH_CHILD_LOG ? createWriteStream(process.env.HS_BENCH_CHILD_LOG, { flags: 'a' }) : null;
  if (log) {
    child.stdout?.on('data', (d: Buffer) => log.write(d));
    child.stderr?.on('data', (d: Buffer) => log.write(d));
    child.once('exit', () => log.end());
  }
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not become ready in ${timeoutMs} ms: ${out.slice(-500)} ${err.slice(-500)}`));
    }, timeoutMs);
    const onOut = (d: Buffer) => {
      out += String(d);
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        // Keep draining so the child never blocks on a full pipe.
        child.stdout?.off('data', onOut);
        child.stdout?.resume();
        resolve({ child, match: m[1] ?? m[0] });
      }
    };
    child.stdout?.on('data', onOut);
    child.stderr?.on('data', (d: Buffer) => {
      err += String(d);
      if (err.length > 20_000) err = err.slice(-10_000);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited with ${code}: ${out.slice(-500)} ${err.slice(-1000)}`));
    });
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.removeAllListeners('exit');
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startBenchServer(engine: Engine, opts: { child: boolean; extra?: Record<string, unknown> }): Promise<BenchServer> {
  const prepared = await prepareConfig(engine, opts.extra);
  try {
    if (opts.child) {
      const { child, match } = await spawnUntil([...cliCommand().args, 'start', '--config', prepared.configPath], /listening on (http:\/\/\S+)/);
      const pid = child.pid ?? -1;
      return {
        baseUrl: match,
        engine,
        mode: 'child process',
        pid,
        rss: () => processRss(pid),
        rssAnon: () => processRssAnon(pid),
        cpuMs: () => processCpuMs(pid),
        async close() {
          await stopChild(child);
          await prepared.cleanup();
        },
      };
    }
    const { config } = loadConfigWithWarnings(prepared.configPath, {});
    const server = await startHomeserver(config, createLogger(config.logLevel));
    const first = server.addresses[0];
    if (!first) throw new Error('no listener');
    return {
      baseUrl: `http://${first.host}:${first.port}`,
      engine,
      mode: 'in-process',
      pid: process.pid,
      rss: () => process.memoryUsage().rss,
      rssAnon: () => processRssAnon('self'),
      cpuMs: () => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1000;
      },
      async close() {
        await server.close();
        await prepared.cleanup();
      },
    };
  } catch (e) {
    await prepared.cleanup();
    throw e;
  }
}
