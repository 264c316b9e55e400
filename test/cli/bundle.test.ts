import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { generateConfigFile } from '../../src/config/generate.js';
import { freePort } from '../helpers/http.js';

// `npm start` and the `hearth` binary run the one-file bundle that `npm run build` makes (scripts/bundle.mjs),
// not the modules the other tests load. This drives that file as an operator would: start on a generated config,
// the register-user command, a message through /sync, a thumbnail (sharp stays outside the bundle), SIGTERM.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE = join(ROOT, 'dist', 'src', 'cli', 'hearth.mjs');

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-bundle-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BUNDLE, ...args], { cwd: dir }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end();
  });
}

async function call(base: string, method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the built bundle (dist/src/cli/hearth.mjs)', () => {
  test('starts, registers a user, carries a message to /sync, thumbnails an image and exits 0 on SIGTERM', async () => {
    assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: npm install (or npm run build) makes it`);
    const configPath = join(dir, 'homeserver.yaml');
    generateConfigFile({ serverName: 'bundle.test', reportStats: false, configPath, dataDir: dir });
    const port = await freePort();
    writeFileSync(configPath, readFileSync(configPath, 'utf8').replace('port: 8008', `port: ${port}`));
    const secret = /registration_shared_secret: "?([^"\n]+)"?/.exec(readFileSync(configPath, 'utf8'))?.[1];
    assert.ok(secret);

    const env: Record<string, string | undefined> = { ...process.env, HEARTH_LOG_LEVEL: 'warn' };
    for (const k of Object.keys(env)) if (k.startsWith('SYNAPSE_')) delete env[k];
    const child = spawn(process.execPath, [BUNDLE, 'start', '--config', configPath], { cwd: dir, env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const base = `http://127.0.0.1:${port}`;
      for (let i = 0; ; i++) {
        if (child.exitCode !== null) assert.fail(`the bundle exited early:\n${out}`);
        const ok = await fetch(`${base}/_matrix/client/versions`).then((r) => r.status === 200, () => false);
        if (ok) break;
        if (i > 200) assert.fail(`no answer from the bundle:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }

      const reg = await cli(['register-user', '-u', 'alice', '-p', 'bundle-pw', '--no-admin', '-k', secret, base]);
      assert.equal(reg.code, 0, reg.stderr);
      const login = await call(base, 'POST', '/_matrix/client/v3/login', null, { type: 'm.login.password', user: 'alice', password: 'bundle-pw' });
      assert.equal(login.status, 200);
      const token = String(login.body.access_token);

      const room = await call(base, 'POST', '/_matrix/client/v3/createRoom', token, { name: 'bundled' });
      assert.equal(room.status, 200);
      const roomId = String(room.body.room_id);
      const sent = await call(base, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`, token, { msgtype: 'm.text', body: 'from the bundle' });
      assert.equal(sent.status, 200);
      const sync = await call(base, 'GET', '/_matrix/client/v3/sync', token);
      assert.equal(sync.status, 200);
      const events = ((sync.body.rooms as { join: Record<string, { timeline: { events: Array<{ event_id: string; content: { body?: string } }> } }> }).join[roomId]?.timeline.events ?? []);
      assert.ok(events.some((e) => e.event_id === sent.body.event_id && e.content.body === 'from the bundle'));

      const png = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#336699' } }).png().toBuffer();
      const up = await fetch(`${base}/_matrix/media/v3/upload`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' }, body: png });
      assert.equal(up.status, 200);
      const mxc = String(((await up.json()) as { content_uri: string }).content_uri);
      const thumb = await fetch(`${base}/_matrix/client/v1/media/thumbnail/${mxc.slice('mxc://'.length)}?width=16&height=16&method=scale`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(thumb.status, 200);
      const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
      assert.ok(meta.width !== undefined && meta.width < 800, `thumbnail width ${meta.width}`);

      child.kill('SIGTERM');
      assert.equal(await exit, 0, out);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
