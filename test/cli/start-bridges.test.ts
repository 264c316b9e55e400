import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateConfigFile } from '../../src/config/generate.js';
import { freePort } from '../helpers/http.js';

// `hearth start` with a `bridges:` section, as an operator runs it: the bridge process is started with its
// config and registration, the core loads that registration (the bridge's as_token works), and SIGTERM stops
// the bridge before the server exits.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Absolute, because the server runs in a scratch directory where a bare 'tsx' would not resolve.
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

const FAKE = `
import { appendFileSync } from 'node:fs';
const journal = process.env.FAKE_JOURNAL;
process.on('SIGTERM', () => { appendFileSync(journal, 'stopped\\n'); process.exit(0); });
appendFileSync(journal, 'start ' + process.argv.slice(2).join(' ') + '\\n');
process.stdout.write(JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, msg: 'fake bridge listening' }) + '\\n');
setInterval(() => {}, 1000);
`;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-start-bridges-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('hearth start runs the enabled bridges, loads their registrations and stops them on SIGTERM', async () => {
  const configPath = join(dir, 'homeserver.yaml');
  generateConfigFile({ serverName: 'bridges.test', reportStats: false, configPath, dataDir: dir });
  const port = await freePort();
  writeFileSync(join(dir, 'fake-bridge.mjs'), FAKE);
  writeFileSync(join(dir, 'bridge-config.yaml'), 'anything: the bridge reads it\n');
  writeFileSync(
    join(dir, 'fake-registration.yaml'),
    'id: fake-bridge\nurl: null\nas_token: fake-as-token-1\nhs_token: fake-hs-token-1\nsender_localpart: fakebot\n' +
      'namespaces:\n  users:\n    - regex: "@fake_.*:bridges\\\\.test"\n      exclusive: true\n',
  );
  writeFileSync(
    configPath,
    readFileSync(configPath, 'utf8').replace('port: 8008', `port: ${port}`) +
      '\nbridges:\n  - name: fake\n    config: bridge-config.yaml\n    registration: fake-registration.yaml\n    entry: fake-bridge.mjs\n' +
      '  - name: disabled\n    enabled: false\n    config: missing.yaml\n',
  );
  const journal = join(dir, 'journal.log');
  const env: Record<string, string | undefined> = { ...process.env, HEARTH_LOG_LEVEL: 'info', FAKE_JOURNAL: journal };
  for (const k of Object.keys(env)) if (k.startsWith('SYNAPSE_')) delete env[k];
  // cwd is a scratch directory, so the repository's own registrations/ folder is not loaded too.
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'start', '--config', configPath], { cwd: dir, env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    await until('the bridge to start', () => existsSync(journal));
    assert.equal(readFileSync(journal, 'utf8'), `start start --config ${join(dir, 'bridge-config.yaml')} --file ${join(dir, 'fake-registration.yaml')}\n`);
    await until('the bridge log line to come through', () => /"bridge":"fake".*"msg":"fake bridge listening"/.test(out));
    assert.match(out, /running bridge fake/);

    const whoami = await fetch(`http://127.0.0.1:${port}/_matrix/client/v3/account/whoami`, { headers: { authorization: 'Bearer fake-as-token-1' } });
    assert.equal(whoami.status, 200, 'the bridge registration is loaded: its as_token authenticates');
    assert.equal(((await whoami.json()) as { user_id: string }).user_id, '@fakebot:bridges.test');

    child.kill('SIGTERM');
    assert.equal(await exit, 0, out);
    assert.equal(readFileSync(journal, 'utf8').split('\n').filter(Boolean).at(-1), 'stopped', 'the bridge was stopped before we exited');
  } finally {
    child.kill('SIGKILL');
  }
});

test('hearth start refuses a bridge whose registration file is missing, naming the key', async () => {
  const configPath = join(dir, 'missing-reg.yaml');
  writeFileSync(join(dir, 'b.yaml'), 'x: 1\n');
  writeFileSync(join(dir, 'e.mjs'), '');
  writeFileSync(configPath, `server_name: m.test\nbridges:\n  - name: s\n    config: b.yaml\n    entry: e.mjs\n    registration: nope.yaml\n`);
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'start', '--config', configPath], { cwd: dir });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 1);
  assert.match(err, /^config error: bridges\[0\]\.registration: .*nope\.yaml does not exist/);
});
