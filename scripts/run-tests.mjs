#!/usr/bin/env node
// Finds every *.test.ts under test/ (Node 20's --test takes no globs) and runs them with
// node's built-in runner through tsx. Extra arguments narrow the set: a path or a substring.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...walk(full));
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

let files = walk(join(root, 'test')).map((f) => relative(root, f)).sort();
for (const ws of ['bridges']) {
  try {
    for (const pkg of readdirSync(join(root, ws))) {
      const t = join(root, ws, pkg, 'test');
      try { files.push(...walk(t).map((f) => relative(root, f))); } catch { /* bridge without tests */ }
    }
  } catch { /* no bridges yet */ }
}
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  process.stderr.write('no test files matched\n');
  process.exit(1);
}

const skipped = [];
if (!process.env.HS_TEST_POSTGRES) skipped.push('PostgreSQL storage suites (set HS_TEST_POSTGRES=postgres://user@host:port to run them)');
if (!process.env.HS_TEST_REDIS) skipped.push('Redis suites (set HS_TEST_REDIS=redis://host:port to run them)');
for (const s of skipped) process.stdout.write(`# skipping ${s}\n`);

const concurrency = process.env.HS_TEST_CONCURRENCY ?? String(Math.max(2, availableParallelism()));
// Not --test-force-exit: with concurrency it loses reports (see test/helpers/exit-after-tests.ts, which does its
// job instead: matrix-js-sdk leaves timers of up to ~2 minutes behind after stopClient()).
const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/helpers/exit-after-tests.ts', '--test', `--test-concurrency=${concurrency}`, ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test' },
});
child.on('exit', (code, signal) => {
  for (const s of skipped) process.stdout.write(`# skipped ${s}\n`);
  process.exit(signal ? 1 : code ?? 1);
});
