import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverWellKnown } from '../../src/http/shell-routes.js';
import { assertMatchesSpec } from '../helpers/spec-schemas.js';
import { startHttpServer } from '../helpers/http.js';

test('the server delegation names the public host and port, 443 when the URL has none', () => {
  assert.deepEqual(serverWellKnown('https://matrix.example.com/'), { 'm.server': 'matrix.example.com:443' });
  assert.deepEqual(serverWellKnown('https://matrix.example.com:8448/'), { 'm.server': 'matrix.example.com:8448' });
  assert.deepEqual(serverWellKnown('https://[2001:db8::1]:8448/'), { 'm.server': '[2001:db8::1]:8448' });
});

test('/.well-known/matrix/server is served only when serve_server_wellknown is on', async () => {
  const on = await startHttpServer({
    resources: ['client'],
    config: { serveServerWellknown: true, publicBaseUrl: 'https://hs.example.net/' },
  });
  const off = await startHttpServer({ resources: ['client', 'federation'] });
  try {
    const res = await fetch(`${on.baseUrl}/.well-known/matrix/server`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(body, { 'm.server': 'hs.example.net:443' });
    assertMatchesSpec('server-server', 'GET', '/.well-known/matrix/server', 200, body);
    const missing = await fetch(`${off.baseUrl}/.well-known/matrix/server`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { errcode: string }).errcode, 'M_UNRECOGNIZED');
  } finally {
    await Promise.all([on.close(), off.close()]);
  }
});

test('/health is served on every listener, whatever its resources', async () => {
  const server = await startHttpServer({ resources: ['metrics'] });
  try {
    const res = await fetch(`${server.baseUrl}/health`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'OK');
  } finally {
    await server.close();
  }
});
