import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientWellKnown } from '../../src/client/well-known.js';
import { assertMatchesSpec } from '../helpers/spec-schemas.js';
import { startHttpServer } from '../helpers/http.js';

test('without configured content the document points at public_baseurl', async () => {
  const server = await startHttpServer({ resources: ['client'], config: { publicBaseUrl: 'https://hs.example.com/' } });
  try {
    const res = await fetch(`${server.baseUrl}/.well-known/matrix/client`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(body, { 'm.homeserver': { base_url: 'https://hs.example.com/' } });
    assertMatchesSpec('client-server', 'GET', '/.well-known/matrix/client', 200, body);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
  } finally {
    await server.close();
  }
});

test('configured content is served, keeping m.homeserver unless the operator overrides it', () => {
  const extra = { 'm.identity_server': { base_url: 'https://id.example.com' }, 'org.example.thing': { on: true } };
  const doc = clientWellKnown({ publicBaseUrl: 'https://hs.example.com/', clientWellKnown: extra });
  assert.deepEqual(doc, { 'm.homeserver': { base_url: 'https://hs.example.com/' }, ...extra });
  assertMatchesSpec('client-server', 'GET', '/.well-known/matrix/client', 200, doc);
  const own = clientWellKnown({
    publicBaseUrl: 'https://hs.example.com/',
    clientWellKnown: { 'm.homeserver': { base_url: 'https://elsewhere.example.com' } },
  });
  assert.deepEqual(own, { 'm.homeserver': { base_url: 'https://elsewhere.example.com' } });
});

test('a federation-only listener does not serve the client document', async () => {
  const server = await startHttpServer({ resources: ['federation'] });
  try {
    const res = await fetch(`${server.baseUrl}/.well-known/matrix/client`);
    assert.equal(res.status, 404);
  } finally {
    await server.close();
  }
});
