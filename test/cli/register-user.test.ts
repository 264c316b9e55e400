import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_USER_CONFIG } from '../helpers/users.js';
import { call } from '../client/account/fetch-json.js';

// Runs `hearth register-user` as a child process (stdin not a terminal) against a running test server.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'src/cli/main.ts');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', CLI, 'register-user', ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end();
  });
}

describe('hearth register-user', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ ...TEST_USER_CONFIG, rateLimits: {} });
  });
  after(() => s.close());

  test('registers an admin with -k and the user can log in', async () => {
    const r = await run(['-u', 'cliadmin', '-p', 'cli-pw', '-a', '-k', TEST_USER_CONFIG.registrationSharedSecret, s.baseUrl]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Success! Registered @cliadmin:localhost \(admin\)/);
    const login = await call(s.baseUrl, 'POST', '/_matrix/client/v3/login', { body: { type: 'm.login.password', user: 'cliadmin', password: 'cli-pw' } });
    assert.equal(login.status, 200);
    const admin = await call(s.baseUrl, 'GET', '/_synapse/admin/v1/registration_tokens', { token: String(login.body.access_token) });
    assert.equal(admin.status, 200);
  });

  test('reads the secret from a config file with -c', async () => {
    const path = join(s.dir, 'cli-homeserver.yaml');
    await writeFile(path, `server_name: localhost\nregistration_shared_secret: "${TEST_USER_CONFIG.registrationSharedSecret}"\n`);
    const r = await run(['-c', path, '-u', 'fromconfig', '-p', 'pw', '--no-admin', s.baseUrl]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /@fromconfig:localhost/);
  });

  test('fails clearly: wrong secret, taken user, missing user off a terminal', async () => {
    const wrong = await run(['-u', 'x1', '-p', 'pw', '-k', 'wrong-secret', s.baseUrl]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /HMAC incorrect/);
    const taken = await run(['-u', 'cliadmin', '-p', 'pw', '-k', TEST_USER_CONFIG.registrationSharedSecret, s.baseUrl]);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /M_USER_IN_USE/);
    const noUser = await run(['-p', 'pw', '-k', 'k', s.baseUrl]);
    assert.equal(noUser.code, 2);
    assert.match(noUser.stderr, /--user is required/);
  });
});
