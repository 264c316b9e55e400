import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePendingValidators, compileValidator } from '../../src/http/validate.js';
import { startTestServer } from '../helpers/server.js';

// Request schemas compile on a route's first request (startup time), so an invalid schema would only show as a
// 500 on that route. This boots a server with every route defined and compiles all the schemas still pending.
test('every request schema of every route compiles', async () => {
  const server = await startTestServer();
  try {
    const compiled = compilePendingValidators();
    assert.ok(compiled >= 30, `expected the routes' schemas to be pending, got ${compiled}`);
    assert.equal(compilePendingValidators(), 0);
  } finally {
    await server.close();
  }
});

test('an invalid schema is reported by compilePendingValidators before any request uses it', () => {
  compileValidator({ type: 'no-such-type' });
  assert.throws(() => compilePendingValidators());
});
