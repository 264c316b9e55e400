import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs `script` (an ES module, TypeScript imports allowed through tsx) in a node process of its own, from the
 * repository's root, and resolves with what it wrote to stdout. For checks this test process cannot make on
 * itself, such as which of node's modules a fresh process ends up loading.
 */
export function runModuleScript(script: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}
