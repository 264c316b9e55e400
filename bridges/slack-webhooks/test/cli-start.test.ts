import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startTestServer, type TestServer } from '../../../test/helpers/server.js';
import { registerUser, TEST_USER_CONFIG } from '../../../test/helpers/users.js';
import { freePort, waitFor } from './harness.js';

// `start` as an operator runs it: its own process, the registration written by `generate-registration`, the
// homeserver loading that file. The bot joins on invite and answers; SIGTERM stops it cleanly.

const MAIN = new URL('../src/main.ts', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');

describe('slack-webhooks start (own process)', () => {
  let dir: string;
  let server: TestServer;
  let child: ChildProcess;
  let publicUrl: string;
  let stderr = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-slack-cli-'));
    const asPort = await freePort();
    const publicPort = await freePort();
    const config = (hsUrl: string) => ({
      homeserver: { url: hsUrl, domain: 'localhost' },
      appservice: { port: asPort, bind_address: '127.0.0.1' },
      public: { port: publicPort, bind_address: '127.0.0.1', url: `http://127.0.0.1:${publicPort}` },
      database: { engine: 'sqlite', filename: 'data/bridge.db' },
      logging: { level: 'warn' },
    });
    await writeFile(join(dir, 'config.yaml'), stringify(config('http://127.0.0.1:1')));
    const gen = spawnSync(process.execPath, ['--import', TSX, MAIN, 'generate-registration', '-c', 'config.yaml'], { cwd: dir, encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    server = await startTestServer({ ...TEST_USER_CONFIG, appServiceConfigFiles: [join(dir, 'registrations', 'slack-webhooks.yaml')] });
    await writeFile(join(dir, 'config.yaml'), stringify(config(server.baseUrl)));
    publicUrl = `http://127.0.0.1:${publicPort}`;
    child = spawn(process.execPath, ['--import', TSX, MAIN, 'start', '-c', 'config.yaml'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    await waitFor(async () => (await fetch(`${publicUrl}/health`).catch(() => null))?.ok, `the bridge to listen (${stderr})`, 30_000);
  });

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the bot joins on invite and answers a command; SIGTERM stops the process with status 0', async () => {
    const alice = await registerUser(server.baseUrl, server.config, 'alice');
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${server.baseUrl}${path}`, { method, headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      assert.ok(r.ok, `${path}: ${r.status}`);
      return (await r.json()) as Record<string, unknown>;
    };
    const roomId = String((await call('POST', '/_matrix/client/v3/createRoom', {})).room_id);
    const room = encodeURIComponent(roomId);
    await call('POST', `/_matrix/client/v3/rooms/${room}/invite`, { user_id: '@slackbot:localhost' });
    await waitFor(async () => '@slackbot:localhost' in ((await call('GET', `/_matrix/client/v3/rooms/${room}/joined_members`)).joined as object), 'the bot to join');
    await call('PUT', `/_matrix/client/v3/rooms/${room}/send/m.room.message/cli1`, { msgtype: 'm.text', body: '!slack status' });
    await waitFor(async () => {
      const { chunk } = (await call('GET', `/_matrix/client/v3/rooms/${room}/messages?dir=b&limit=10`)) as { chunk: Array<{ sender: string; content: { body?: string } }> };
      return chunk.some((e) => e.sender === '@slackbot:localhost' && e.content.body === 'This room is not linked to Slack.');
    }, 'the answer to !slack status');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
  });
});
