import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConfigValidator, precompiledValidatorSource } from '../../src/config/validate.js';

// `npm run build` writes the config validator precompiled (startup then skips ajv's compiler). It must judge
// every config exactly as the schema compiled at startup does, and must not be used once the schema changed.

const BAD_CONFIGS: unknown[] = [
  {},
  { server_name: 'example.org', listeners: [{ port: 'abc', type: 'http' }] },
  { server_name: 'example.org', rc_message: { per_second: -1 } },
  { server_name: 'example.org', max_upload_size: '50 potatoes' },
  { server_name: 'example.org', old_signing_keys: { 'bad key': { key: 'x', expired_ts: 1 } } },
  { server_name: 'example.org', database: { name: 'mysql' } },
  { server_name: 'bad name!' },
];
const GOOD = { server_name: 'example.org', listeners: [{ port: 8008, type: 'http' }], rc_login: { address: { per_second: 1, burst_count: 3 } } };

function messageOf(validate: (raw: unknown) => unknown, raw: unknown): string {
  try {
    validate(raw);
    return 'valid';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('precompiled config validator', () => {
  let dir: string;
  before(() => {
    // Inside the repository, so the module finds ajv's runtime helpers in node_modules as dist/ does.
    const cache = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    dir = mkdtempSync(join(cache, 'hs-precompiled-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('gives the same verdict and message as the schema compiled at startup', () => {
    const file = join(dir, 'current.cjs');
    writeFileSync(file, precompiledValidatorSource());
    const built = createConfigValidator(file);
    const compiled = createConfigValidator(join(dir, 'missing.cjs'));
    assert.equal(built.compiled, 'build');
    assert.equal(compiled.compiled, 'startup');
    for (const raw of BAD_CONFIGS) {
      const message = messageOf(built.validate, raw);
      assert.match(message, /^config error: /);
      assert.equal(message, messageOf(compiled.validate, raw));
    }
    assert.equal(messageOf(built.validate, GOOD), 'valid');
  });

  test("is not kept in require's cache once the validator is dropped", () => {
    const file = join(dir, 'uncached.cjs');
    writeFileSync(file, precompiledValidatorSource());
    assert.equal(createConfigValidator(file).compiled, 'build');
    assert.equal(Object.keys(createRequire(import.meta.url).cache).includes(file), false);
  });

  test('one compiled from another schema is ignored and the schema is compiled instead', () => {
    const file = join(dir, 'stale.cjs');
    writeFileSync(file, precompiledValidatorSource().replace(/schemaDigest = "[0-9a-f]+"/, 'schemaDigest = "0000"'));
    const v = createConfigValidator(file);
    assert.equal(v.compiled, 'startup');
    assert.match(messageOf(v.validate, BAD_CONFIGS[1]), /listeners\[0\]\.port/);
  });
});
