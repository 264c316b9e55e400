import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePendingValidators, compileValidator } from '../../src/http/validate.js';

// Request validation loads no formats (ajv-formats stays out of the server), so a schema relying on one would
// pass anything: the suite's compile of every route's schema refuses them.
test('a format keyword is reported by compilePendingValidators; a property named format is not', () => {
  compileValidator({ type: 'object', properties: { format: { type: 'string' } } });
  assert.equal(compilePendingValidators(), 1);
  compileValidator({ type: 'object', properties: { url: { type: 'string', format: 'uri' } } });
  assert.throws(() => compilePendingValidators(), /format "uri"/);
});
