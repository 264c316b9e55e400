import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertMatchesSpec,
  assertRequestMatchesSpec,
  findSpecOperation,
  specOperations,
  specResponseSchema,
  type SpecApi,
} from '../helpers/spec-schemas.js';

// The helper in test/helpers/spec-schemas.ts is what other tests lean on, so it is tested itself:
// it must accept what the spec allows and reject what it does not.

describe('assertMatchesSpec', () => {
  test('accepts a body that matches the response schema', () => {
    assertMatchesSpec('client-server', 'GET', '/_matrix/client/versions', 200, {
      versions: ['v1.1'],
      unstable_features: { 'org.example.feature': true },
    });
  });

  test('rejects a body missing a required field, naming it', () => {
    assert.throws(
      () => assertMatchesSpec('client-server', 'GET', '/_matrix/client/versions', 200, { unstable_features: {} }),
      (err: Error) => err.name === 'AssertionError' && /versions/.test(err.message),
    );
  });

  test('rejects a field of the wrong type', () => {
    assert.throws(() =>
      assertMatchesSpec('client-server', 'GET', '/_matrix/client/versions', 200, {
        versions: ['v1.1'],
        unstable_features: { 'org.example.feature': 'yes' },
      }),
    );
  });

  test('follows $refs across files (server keys schema lives in definitions/keys.yaml)', () => {
    assert.throws(() =>
      assertMatchesSpec('server-server', 'GET', '/_matrix/key/v2/server', 200, {
        server_name: 'example.org',
        verify_keys: { 'ed25519:a': { notkey: 'x' } },
        signatures: {},
        valid_until_ts: 1,
      }),
    );
  });

  test('checks Matrix string formats (mx-user-id)', () => {
    const ok = { user_id: '@alice:example.org' };
    assertMatchesSpec('client-server', 'GET', '/_matrix/client/v3/account/whoami', 200, ok);
    assert.throws(() =>
      assertMatchesSpec('client-server', 'GET', '/_matrix/client/v3/account/whoami', 200, { user_id: 'alice' }),
    );
  });

  test('validates error responses described through the shared error schema', () => {
    const path = '/_matrix/client/v3/account/whoami';
    assertMatchesSpec('client-server', 'GET', path, 401, { errcode: 'M_UNKNOWN_TOKEN', error: 'nope' });
    assert.throws(() => assertMatchesSpec('client-server', 'GET', path, 401, { error: 'no errcode' }));
  });

  test('refuses a status the spec does not define', () => {
    assert.throws(() => specResponseSchema('client-server', 'GET', '/_matrix/client/versions', 418), /no 418 response/);
  });
});

describe('finding operations', () => {
  test('by full template, by concrete path, and unknown paths throw', () => {
    const op = findSpecOperation('client-server', 'GET', '/_matrix/client/v3/rooms/{roomId}/state');
    assert.equal(op.fullTemplate, '/_matrix/client/v3/rooms/{roomId}/state');
    const concrete = findSpecOperation('client-server', 'get', '/_matrix/client/v3/rooms/!abc:example.org/state');
    assert.equal(concrete.fullTemplate, op.fullTemplate);
    assert.throws(() => findSpecOperation('client-server', 'GET', '/_matrix/client/v3/not_a_thing'));
  });

  test('request bodies can be checked too', () => {
    assertRequestMatchesSpec('client-server', 'POST', '/_matrix/client/v3/createRoom', { name: 'Room' });
    assert.throws(() =>
      assertRequestMatchesSpec('client-server', 'POST', '/_matrix/client/v3/createRoom', { preset: 'no_such_preset' }),
    );
  });

  test('every JSON response schema of the client-server and server-server APIs compiles', () => {
    let compiled = 0;
    for (const api of ['client-server', 'server-server'] satisfies SpecApi[]) {
      for (const op of specOperations(api)) {
        const responses = op.operation.responses as Record<string, unknown>;
        for (const status of Object.keys(responses)) {
          let schemaFound = true;
          try {
            specResponseSchema(api, op.method, op.fullTemplate, status);
          } catch (err) {
            if (/no JSON schema/.test(String(err))) schemaFound = false;
            else throw err;
          }
          if (!schemaFound) continue;
          // An empty object never matches a schema with required keys, but compiling must not throw.
          try {
            assertMatchesSpec(api, op.method, op.fullTemplate, status, {});
          } catch (err) {
            assert.equal((err as Error).name, 'AssertionError', `${op.method} ${op.fullTemplate} ${status}: ${String(err)}`);
          }
          compiled++;
        }
      }
    }
    assert.ok(compiled > 300, `compiled ${compiled}`);
  });
});
