#!/usr/bin/env node
// The `hearth` executable. All behaviour lives in run.ts; this file only binds it to the real process.
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
process.exit(code);
