import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SUPPORTED_SPEC_VERSIONS } from '../../src/client/versions.js';
import { assertMatchesSpec } from '../helpers/spec-schemas.js';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';

let server: HttpTestServer;
before(async () => {
  server = await startHttpServer({ resources: ['client'] });
});
after(() => server.close());

test('GET /_matrix/client/versions matches the spec and needs no authentication', async () => {
  const res = await fetch(`${server.baseUrl}/_matrix/client/versions`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as { versions: unknown; unstable_features: unknown };
  assertMatchesSpec('client-server', 'GET', '/_matrix/client/versions', 200, body);
  assert.deepEqual(body.versions, [...SUPPORTED_SPEC_VERSIONS]);
  assert.deepEqual(body.unstable_features, {});
});

test('advertised versions use the spec form vX.Y and are unique', () => {
  for (const v of SUPPORTED_SPEC_VERSIONS) assert.match(v, /^v1\.\d+$/);
  assert.equal(new Set(SUPPORTED_SPEC_VERSIONS).size, SUPPORTED_SPEC_VERSIONS.length);
});
