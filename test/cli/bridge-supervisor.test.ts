import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ConfigError } from '../../src/config/errors.js';
import { forwardLogLine, planBridgeLaunches, superviseBridges, type BridgeLaunch } from '../../src/cli/bridge-supervisor.js';
import { createLogger } from '../../src/http/logger.js';
import type { BridgeProcessConfig } from '../../src/config/types.js';

// A tiny fake bridge: records each start in a journal, logs one pino JSON line and one plain stderr line,
// crashes while a "crash" file says so, and on SIGTERM records the stop (or ignores it when told to).
const FAKE = `
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
const [, , journal, mode] = process.argv;
// The handler goes first: the supervisor may signal as soon as it sees the first line below.
process.on('SIGTERM', () => {
  if (mode === 'stubborn') return;
  appendFileSync(journal, 'stopped ' + process.pid + '\\n');
  process.exit(0);
});
appendFileSync(journal, 'start ' + process.pid + ' ' + process.argv.slice(3).join(' ') + '\\n');
process.stdout.write(JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, hostname: 'h', msg: 'fake bridge up', detail: 7 }) + '\\n');
process.stderr.write('plain words on stderr\\n');
const crashFile = journal + '.crash';
if (existsSync(crashFile)) {
  const left = Number(readFileSync(crashFile, 'utf8'));
  if (left > 0) { writeFileSync(crashFile, String(left - 1)); setTimeout(() => process.exit(3), 20); }
}
setInterval(() => {}, 1000);
`;

let dir: string;
let script: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-supervisor-'));
  script = join(dir, 'fake-bridge.mjs');
  writeFileSync(script, FAKE);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger('trace', stream), lines };
}

function journalLines(journal: string): string[] {
  return existsSync(journal) ? readFileSync(journal, 'utf8').trim().split('\n').filter(Boolean) : [];
}

async function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function launch(journal: string, mode = 'normal'): BridgeLaunch {
  // The fake reads argv[2] (journal) and argv[3] (mode); the real command's words follow.
  return { name: 'fake', entryPath: script, args: [journal, mode, 'start', '--config', '/c.yaml'] };
}

test('a bridge that crashes is restarted with a growing delay, and stop() ends it for good', async () => {
  const journal = join(dir, 'crashy.log');
  writeFileSync(`${journal}.crash`, '2');
  const { logger, lines } = capture();
  const sup = superviseBridges([launch(journal)], { logger, initialBackoffMs: 50, maxBackoffMs: 1000, stopGraceMs: 2000 });
  try {
    await until('third start', () => journalLines(journal).filter((l) => l.startsWith('start')).length === 3);
    await until('the third child up', () => lines.filter((l) => l.msg === 'fake bridge up').length === 3 && sup.pid('fake') !== null);
    const exits = lines.filter((l) => l.msg === 'bridge exited; restarting it after a delay');
    assert.deepEqual(exits.map((l) => l.restartInMs), [50, 100], 'the delay doubles after each quick crash');
    assert.equal(exits[0]?.code, 3);
    assert.equal(exits[0]?.bridge, 'fake');
    assert.equal(sup.starts('fake'), 3);
    assert.match(journalLines(journal)[0] ?? '', / normal start --config \/c\.yaml$/);
  } finally {
    await sup.stop();
  }
  const pid = Number(journalLines(journal).filter((l) => l.startsWith('start')).at(-1)?.split(' ')[1]);
  assert.ok(journalLines(journal).includes(`stopped ${pid}`), 'the running bridge got SIGTERM and stopped cleanly');
  assert.equal(sup.pid('fake'), null);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(journalLines(journal).filter((l) => l.startsWith('start')).length, 3, 'nothing is restarted after stop');
});

test('stop() during a restart delay cancels the restart', async () => {
  const journal = join(dir, 'cancel.log');
  writeFileSync(`${journal}.crash`, '1');
  const { logger, lines } = capture();
  const sup = superviseBridges([launch(journal)], { logger, initialBackoffMs: 60_000 });
  await until('the crash', () => lines.some((l) => l.msg === 'bridge exited; restarting it after a delay'));
  const before = Date.now();
  await sup.stop();
  assert.ok(Date.now() - before < 5000);
  assert.equal(journalLines(journal).length, 1);
});

test('a bridge that ignores SIGTERM is killed after the grace period', async () => {
  const journal = join(dir, 'stubborn.log');
  const { logger, lines } = capture();
  const sup = superviseBridges([launch(journal, 'stubborn')], { logger, stopGraceMs: 200 });
  await until('start', () => lines.some((l) => l.msg === 'fake bridge up'));
  const pid = sup.pid('fake');
  assert.ok(pid);
  await sup.stop();
  assert.ok(lines.some((l) => l.msg === 'bridge did not stop in time; killing it'));
  assert.throws(() => process.kill(pid, 0), 'the process is gone');
});

test("the bridge's log lines come through our logger with its name and level", async () => {
  const journal = join(dir, 'logs.log');
  const { logger, lines } = capture();
  const sup = superviseBridges([launch(journal)], { logger });
  try {
    await until('both lines', () => lines.some((l) => l.msg === 'plain words on stderr') && lines.some((l) => l.msg === 'fake bridge up'));
  } finally {
    await sup.stop();
  }
  const json = lines.find((l) => l.msg === 'fake bridge up');
  assert.equal(json?.level, 40);
  assert.equal(json?.detail, 7);
  assert.equal(json?.bridge, 'fake');
  assert.equal(json?.pid, process.pid, 'our pid, the bridge one kept apart');
  assert.equal(typeof json?.bridgePid, 'number');
  const text = lines.find((l) => l.msg === 'plain words on stderr');
  assert.equal(text?.level, 40);
  assert.equal(text?.bridge, 'fake');
});

test('forwardLogLine keeps non-pino JSON and text as text', () => {
  const { logger, lines } = capture();
  forwardLogLine(logger, '{"not":"pino"}', 'info');
  forwardLogLine(logger, '{broken', 'warn');
  forwardLogLine(logger, '   ', 'info');
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [
      [30, '{"not":"pino"}'],
      [40, '{broken'],
    ],
  );
});

test('launch planning checks the files and builds the start command', () => {
  const cfg = join(dir, 'bridge.yaml');
  const reg = join(dir, 'reg.yaml');
  writeFileSync(cfg, 'x: 1\n');
  writeFileSync(reg, 'id: x\n');
  const base: BridgeProcessConfig = { name: 'fake', enabled: true, configPath: cfg, registrationPath: reg, entryPath: script };
  assert.deepEqual(planBridgeLaunches([base, { ...base, name: 'off', enabled: false, entryPath: '/nope' }]), [
    { name: 'fake', entryPath: script, args: ['start', '--config', cfg, '--file', reg] },
  ]);
  assert.deepEqual(planBridgeLaunches([{ ...base, registrationPath: null }])[0]?.args, ['start', '--config', cfg]);
  const err = (b: typeof base) => {
    try {
      planBridgeLaunches([b]);
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.message;
    }
    return 'no error';
  };
  assert.match(err({ ...base, entryPath: join(dir, 'missing.js') }), /^config error: bridges\[0\]\.entry: .*missing\.js does not exist$/);
  assert.match(err({ ...base, configPath: join(dir, 'nope.yaml') }), /^config error: bridges\[0\]\.config: .*nope\.yaml does not exist$/);
  assert.match(err({ ...base, registrationPath: join(dir, 'noreg.yaml') }), /^config error: bridges\[0\]\.registration: .*noreg\.yaml does not exist \(generate it/);
  assert.match(err({ ...base, name: 'not-built', entryPath: null }), /bridges\[0\]\.entry: .*bridges\/not-built\/src\/main\.js does not exist \(run "npm run build"/);
});
