import { shellOnlyServices } from '../helpers/http.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startListeners } from '../../src/http/listeners.js';
import { createLogger } from '../../src/http/logger.js';
import { generateSigningKey } from '../../src/crypto/index.js';
import { testConfig, testListener } from '../helpers/http.js';

const deps = () => ({ config: testConfig(), logger: createLogger('silent'), signingKeys: [generateSigningKey('t')], services: shellOnlyServices() });

function get(url: string, agent?: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('port 0 binds a real port per listener, each serving its own resources', async () => {
  const running = await startListeners(deps(), [testListener(['client']), testListener(['keys'])]);
  try {
    assert.equal(running.addresses.length, 2);
    const [client, keys] = running.addresses;
    assert.ok(client && keys);
    assert.ok(client.port > 0 && keys.port > 0 && client.port !== keys.port);
    assert.equal(client.tls, false);
    assert.equal((await get(`http://127.0.0.1:${client.port}/_matrix/client/versions`)).status, 200);
    assert.equal((await get(`http://127.0.0.1:${client.port}/_matrix/key/v2/server`)).status, 404);
    assert.equal((await get(`http://127.0.0.1:${keys.port}/_matrix/key/v2/server`)).status, 200);
    assert.equal((await get(`http://127.0.0.1:${keys.port}/_matrix/client/versions`)).status, 404);
  } finally {
    await running.close();
  }
});

test('close() returns promptly even with a keep-alive connection open', async () => {
  const running = await startListeners(deps(), [testListener(['client'])], { closeGraceMs: 200 });
  const port = running.addresses[0]?.port;
  const agent = new Agent({ keepAlive: true });
  try {
    assert.equal((await get(`http://127.0.0.1:${port}/health`, agent)).status, 200);
    const started = Date.now();
    await running.close();
    assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
    await assert.rejects(get(`http://127.0.0.1:${port}/health`));
  } finally {
    agent.destroy();
  }
});

test('a busy connection is cut after the grace period', async () => {
  const running = await startListeners(deps(), [testListener(['client'])], { closeGraceMs: 150 });
  const port = running.addresses[0]?.port;
  // A request whose body never finishes keeps the connection busy.
  const req = httpRequest({ host: '127.0.0.1', port, path: '/_matrix/client/versions', method: 'POST', headers: { 'Content-Length': '100' } });
  const failed = new Promise<void>((resolve) => {
    req.on('error', () => resolve());
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
  });
  req.write('{');
  await new Promise((r) => setTimeout(r, 50));
  const started = Date.now();
  await running.close();
  const took = Date.now() - started;
  assert.ok(took < 1500, `close took ${took} ms`);
  await failed;
});

test('a port already in use makes startup fail and releases what was bound', async () => {
  const first = await startListeners(deps(), [testListener(['client'])]);
  const port = first.addresses[0]?.port ?? 0;
  try {
    await assert.rejects(startListeners(deps(), [testListener(['keys']), testListener(['client'], { port })]), /EADDRINUSE/);
  } finally {
    await first.close();
  }
});

test('a TLS listener serves HTTPS with the configured certificate', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  } catch {
    t.skip('openssl is not available to make a test certificate');
    return;
  }
  const running = await startListeners(deps(), [
    testListener(['client'], { tls: true, tlsCertificatePath: cert, tlsPrivateKeyPath: key }),
  ]);
  try {
    const addr = running.addresses[0];
    assert.equal(addr?.tls, true);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: addr?.port, path: '/health', rejectUnauthorized: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
  } finally {
    await running.close();
  }
});

test('a TLS listener without certificate paths is refused at startup', async () => {
  await assert.rejects(startListeners(deps(), [testListener(['client'], { tls: true })]), /tls_certificate_path/);
});
