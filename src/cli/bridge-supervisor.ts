import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/errors.js';
import type { BridgeProcessConfig } from '../config/types.js';
import type { Logger } from '../http/logger.js';

// Runs the enabled in-repo bridges (`bridges:` in homeserver.yaml) as child processes of `hearth start`:
// `node <entry> start --config <config> [--file <registration>]`. A bridge that dies is started again after a
// backoff that doubles up to a ceiling (and resets once it has stayed up for a while), so a crash loop does not
// spin the CPU. Its JSON log lines are re-logged through our logger with `bridge: <name>`; other output becomes
// info (stdout) or warn (stderr) lines. On shutdown every bridge gets SIGTERM, then SIGKILL after a grace period.
// The bridge talks to the core only over HTTP, like any application service: the core never imports it.

export interface BridgeLaunch {
  name: string;
  entryPath: string;
  args: string[];
}

export interface SupervisorOptions {
  logger: Logger;
  /** First restart delay; doubled after each crash that follows a short run. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A run this long counts as healthy: the next crash restarts after initialBackoffMs again. */
  stableAfterMs?: number;
  /** How long a bridge may take to exit after SIGTERM before it is killed. */
  stopGraceMs?: number;
  /** Node executable (default: the one running us). */
  execPath?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface BridgeSupervisor {
  /** Current child pid of a bridge (null while it is waiting to be restarted or after stop). */
  pid(name: string): number | null;
  /** How many times each bridge has been started so far. */
  starts(name: string): number;
  /** Stops every bridge (SIGTERM, then SIGKILL after the grace period) and stops restarting them. */
  stop(): Promise<void>;
}

/** Where this installation's build puts a bridge's entry: dist/bridges/<name>/src/main.js next to dist/src. */
export function defaultBridgeEntry(name: string): string {
  return fileURLToPath(new URL(`../../bridges/${name}/src/main.js`, import.meta.url));
}

/**
 * The processes to run for the enabled bridges. Checked before the homeserver starts, so a missing file is a
 * config error naming the key rather than a crash loop.
 */
export function planBridgeLaunches(bridges: readonly BridgeProcessConfig[]): BridgeLaunch[] {
  const out: BridgeLaunch[] = [];
  bridges.forEach((b, i) => {
    if (!b.enabled) return;
    const entryPath = b.entryPath ?? defaultBridgeEntry(b.name);
    if (!existsSync(entryPath)) {
      const hint = b.entryPath ? '' : ' (run "npm run build", or set entry)';
      throw new ConfigError(`bridges[${i}].entry: ${entryPath} does not exist${hint}`);
    }
    if (!existsSync(b.configPath)) throw new ConfigError(`bridges[${i}].config: ${b.configPath} does not exist`);
    if (b.registrationPath !== null && !existsSync(b.registrationPath)) {
      throw new ConfigError(
        `bridges[${i}].registration: ${b.registrationPath} does not exist (generate it with the bridge's generate-registration command)`,
      );
    }
    const args = ['start', '--config', b.configPath];
    if (b.registrationPath !== null) args.push('--file', b.registrationPath);
    out.push({ name: b.name, entryPath, args });
  });
  return out;
}

const PINO_LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** Re-logs one line of a bridge's output: pino JSON keeps its level and fields, anything else is text. */
export function forwardLogLine(logger: Logger, line: string, fallback: 'info' | 'warn'): void {
  if (line.trim() === '') return;
  if (line.startsWith('{')) {
    try {
      const rec = JSON.parse(line) as Record<string, unknown>;
      const level = typeof rec.level === 'number' ? PINO_LEVELS[rec.level] : undefined;
      if (level) {
        // Our logger adds its own time, pid and hostname; keep the bridge's pid under another name.
        const { level: _l, time: _t, hostname: _h, msg, pid, ...fields } = rec;
        logger[level]({ ...fields, bridgePid: pid }, typeof msg === 'string' ? msg : '');
        return;
      }
    } catch {
      // not JSON after all: logged as text below
    }
  }
  logger[fallback](line);
}

export function superviseBridges(launches: readonly BridgeLaunch[], opts: SupervisorOptions): BridgeSupervisor {
  const initialBackoffMs = opts.initialBackoffMs ?? 1_000;
  const maxBackoffMs = opts.maxBackoffMs ?? 60_000;
  const stableAfterMs = opts.stableAfterMs ?? 30_000;
  const stopGraceMs = opts.stopGraceMs ?? 5_000;

  interface Slot {
    launch: BridgeLaunch;
    log: Logger;
    child: ChildProcess | null;
    exited: Promise<void> | null;
    restartTimer: NodeJS.Timeout | null;
    failures: number;
    starts: number;
  }
  let stopping = false;
  const slots = new Map<string, Slot>();

  const run = (slot: Slot): void => {
    if (stopping) return;
    const startedAt = Date.now();
    slot.starts++;
    const child = spawn(opts.execPath ?? process.execPath, [slot.launch.entryPath, ...slot.launch.args], {
      cwd: opts.cwd ?? process.cwd(),
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    slot.child = child;
    slot.log.info({ pid: child.pid, entry: slot.launch.entryPath }, 'bridge started');
    if (child.stdout) createInterface({ input: child.stdout }).on('line', (l) => forwardLogLine(slot.log, l, 'info'));
    if (child.stderr) createInterface({ input: child.stderr }).on('line', (l) => forwardLogLine(slot.log, l, 'warn'));
    slot.exited = new Promise<void>((resolve) => {
      let done = false;
      const onGone = (code: number | null, signal: NodeJS.Signals | null, err?: Error): void => {
        if (done) return;
        done = true;
        slot.child = null;
        resolve();
        if (stopping) {
          slot.log.info({ code, signal }, 'bridge stopped');
          return;
        }
        slot.failures = Date.now() - startedAt >= stableAfterMs ? 1 : slot.failures + 1;
        const delay = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (slot.failures - 1));
        slot.log.error({ code, signal, err, restartInMs: delay }, 'bridge exited; restarting it after a delay');
        slot.restartTimer = setTimeout(() => {
          slot.restartTimer = null;
          run(slot);
        }, delay);
      };
      child.once('exit', (code, signal) => onGone(code, signal));
      // spawn failures (e.g. a bad execPath) emit 'error' without 'exit'.
      child.once('error', (err) => onGone(null, null, err));
    });
  };

  for (const launch of launches) {
    const slot: Slot = { launch, log: opts.logger.child({ bridge: launch.name }), child: null, exited: null, restartTimer: null, failures: 0, starts: 0 };
    slots.set(launch.name, slot);
    run(slot);
  }

  const stopOne = async (slot: Slot): Promise<void> => {
    if (slot.restartTimer) clearTimeout(slot.restartTimer);
    slot.restartTimer = null;
    const child = slot.child;
    if (!child || !slot.exited) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => {
      slot.log.warn({ graceMs: stopGraceMs }, 'bridge did not stop in time; killing it');
      child.kill('SIGKILL');
    }, stopGraceMs);
    await slot.exited;
    clearTimeout(killer);
  };

  return {
    pid: (name) => slots.get(name)?.child?.pid ?? null,
    starts: (name) => slots.get(name)?.starts ?? 0,
    async stop() {
      stopping = true;
      await Promise.all([...slots.values()].map(stopOne));
    },
  };
}
