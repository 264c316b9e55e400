import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateConfigFile } from '../../src/config/generate.js';
import { parseSigningKeyFile, verifyJsonSignature } from '../../src/crypto/index.js';
import { freePort } from '../helpers/http.js';

// The real executable as a child process: what an operator runs.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-cli-start-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runCli(args: string[]): Run {
  const env: Record<string, string | undefined> = { ...process.env, HEARTH_LOG_LEVEL: 'warn' };
  for (const k of Object.keys(env)) if (k.startsWith('SYNAPSE_')) delete env[k];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function waitForServer(url: string, run: Run, timeoutMs = 20_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void run.exit.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`server exited early:\n${run.stdout()}\n${run.stderr()}`);
    try {
      return await fetch(url);
    } catch {
      if (Date.now() > deadline) throw new Error(`server did not answer ${url} in time:\n${run.stdout()}\n${run.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('hearth start', () => {
  test('serves a generated config, publishes a verifiable key, and exits 0 on SIGTERM', async () => {
    const configPath = join(dir, 'ok', 'homeserver.yaml');
    generateConfigFile({ serverName: 'cli.test', reportStats: false, configPath, dataDir: join(dir, 'ok') });
    const port = await freePort();
    writeFileSync(configPath, readFileSync(configPath, 'utf8').replace('port: 8008', `port: ${port}`));

    const run = runCli(['start', '--config', configPath]);
    try {
      const base = `http://127.0.0.1:${port}`;
      const versions = await waitForServer(`${base}/_matrix/client/versions`, run);
      assert.equal(versions.status, 200);

      const doc = (await (await fetch(`${base}/_matrix/key/v2/server`)).json()) as Record<string, unknown>;
      const [key] = parseSigningKeyFile(readFileSync(join(dir, 'ok', 'cli.test.signing.key'), 'utf8'));
      assert.ok(key);
      assert.equal(doc.server_name, 'cli.test');
      assert.ok(verifyJsonSignature(doc, 'cli.test', key.keyId, key.publicKeyBase64), 'key document signature must verify');

      assert.match(run.stdout(), new RegExp(`listening on ${base}`));
      assert.match(run.stdout(), /register-user -c .*homeserver\.yaml -a http:\/\/127\.0\.0\.1:\d+/);

      const sentAt = Date.now();
      run.child.kill('SIGTERM');
      const { code, signal } = await run.exit;
      assert.equal(signal, null);
      assert.equal(code, 0, run.stderr());
      assert.ok(Date.now() - sentAt < 3000, 'shutdown must be quick');
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  test('a bad config exits non-zero with one line naming the key', async () => {
    const configPath = join(dir, 'bad.yaml');
    writeFileSync(configPath, 'server_name: bad.test\nlisteners:\n  - port: "abc"\n    type: http\n');
    const run = runCli(['start', '--config', configPath]);
    const { code } = await run.exit;
    assert.notEqual(code, 0);
    assert.equal(run.stderr(), 'config error: listeners[0].port must be integer between 0 and 65535 (got "abc")\n');
  });

  test('an unknown database engine exits non-zero naming database.name', async () => {
    const configPath = join(dir, 'mysql.yaml');
    writeFileSync(configPath, 'server_name: bad.test\ndatabase:\n  name: mysql\n');
    const run = runCli(['start', '--config', configPath]);
    const { code } = await run.exit;
    assert.notEqual(code, 0);
    assert.match(run.stderr(), /^config error: database\.name must be a supported database engine.*"mysql"\)\n$/);
  });

  test('a missing explicit config is an error rather than a silently generated server', async () => {
    const run = runCli(['start', '--config', join(dir, 'nope', 'homeserver.yaml')]);
    const { code } = await run.exit;
    assert.equal(code, 1);
    assert.match(run.stderr(), /^config error: config file .*nope\/homeserver\.yaml does not exist\n$/);
  });
});
