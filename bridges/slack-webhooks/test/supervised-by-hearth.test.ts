import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import { generateConfigFile } from '../../../src/config/generate.js';
import { freePort, waitFor } from './harness.js';

// One command runs the homeserver with its bridge: `hearth start` with a `bridges:` entry for this bridge starts
// it as a child process, loads its registration, and stops it on SIGTERM. (The entry is the TypeScript source,
// run through tsx via NODE_OPTIONS, so the test does not depend on a fresh build.)

const ROOT = new URL('../../../', import.meta.url).pathname;
const MAIN = new URL('../src/main.ts', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');

test('hearth start runs the slack-webhooks bridge from its bridges: section and stops it on SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-slack-supervised-'));
  const [hsPort, asPort, publicPort] = [await freePort(), await freePort(), await freePort()];
  const hsConfig = join(dir, 'homeserver.yaml');
  generateConfigFile({ serverName: 'localhost', reportStats: false, configPath: hsConfig, dataDir: dir });
  await writeFile(
    join(dir, 'bridge.yaml'),
    stringify({
      homeserver: { url: `http://127.0.0.1:${hsPort}`, domain: 'localhost' },
      appservice: { port: asPort, bind_address: '127.0.0.1' },
      public: { port: publicPort, bind_address: '127.0.0.1', url: `http://127.0.0.1:${publicPort}` },
      database: { engine: 'sqlite', filename: join(dir, 'bridge.db') },
      slack: { signing_secret: 'secret-for-the-supervised-test' },
      logging: { level: 'info' },
    }),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--import ${TSX}` };
  for (const k of Object.keys(env)) if (k.startsWith('SYNAPSE_')) delete env[k];
  const gen = spawnSync(process.execPath, [MAIN, 'generate-registration', '-c', 'bridge.yaml'], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
  const registration = parse(await readFile(join(dir, 'registrations', 'slack-webhooks.yaml'), 'utf8')) as { as_token: string };
  await writeFile(
    hsConfig,
    (await readFile(hsConfig, 'utf8')).replace('port: 8008', `port: ${hsPort}`) +
      `\nbridges:\n  - name: slack-webhooks\n    config: bridge.yaml\n    registration: registrations/slack-webhooks.yaml\n    entry: ${MAIN}\n`,
  );

  const child = spawn(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'start', '--config', hsConfig], { cwd: dir, env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const health = await waitFor(
      () => fetch(`http://127.0.0.1:${publicPort}/health`).then((r) => r.ok, () => false),
      `the supervised bridge's public server\n${out}`,
      60_000,
    );
    assert.ok(health);
    assert.match(out, /"bridge":"slack-webhooks".*"msg":"slack-webhooks bridge listening"/, 'the bridge logs through the homeserver logger');
    const whoami = await fetch(`http://127.0.0.1:${hsPort}/_matrix/client/v3/account/whoami`, { headers: { authorization: `Bearer ${registration.as_token}` } });
    assert.equal(whoami.status, 200, 'the homeserver loaded the bridge registration');
    assert.equal(((await whoami.json()) as { user_id: string }).user_id, '@slackbot:localhost');
    // The Events API route is the bridge's own (signature checked): an unsigned post is refused by it.
    assert.equal((await fetch(`http://127.0.0.1:${publicPort}/slack/events`, { method: 'POST', body: '{}' })).status, 401);

    child.kill('SIGTERM');
    assert.equal(await exit, 0, out);
    await assert.rejects(fetch(`http://127.0.0.1:${publicPort}/health`), 'the bridge is stopped with the homeserver');
  } finally {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
