import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bridgeRegistrationFiles } from '../../src/config/bridges.js';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-config-bridges-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function load(body: string) {
  const p = join(dir, `hs${n++}.yaml`);
  writeFileSync(p, `server_name: b.test\n${body}`);
  return loadConfig(p, {});
}
function errorOf(body: string): string {
  try {
    load(body);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail('config loaded but should have failed');
}

test('a bridges section is read with paths resolved against the config file and enabled by default', () => {
  const c = load(
    'bridges:\n' +
      '  - name: slack-webhooks\n    config: bridges/slack/config.yaml\n    registration: registrations/slack.yaml\n' +
      '  - name: other\n    enabled: false\n    config: /abs/other.yaml\n    registration: /abs/other-reg.yaml\n    entry: build/other.js\n',
  );
  assert.deepEqual(c.bridges, [
    { name: 'slack-webhooks', enabled: true, configPath: join(dir, 'bridges/slack/config.yaml'), registrationPath: join(dir, 'registrations/slack.yaml'), entryPath: null },
    { name: 'other', enabled: false, configPath: '/abs/other.yaml', registrationPath: '/abs/other-reg.yaml', entryPath: join(dir, 'build/other.js') },
  ]);
  assert.deepEqual(bridgeRegistrationFiles(c.bridges ?? []), [join(dir, 'registrations/slack.yaml')], 'only enabled bridges register');
});

test('no bridges section means no bridges', () => {
  assert.deepEqual(load('').bridges, []);
  assert.deepEqual(load('bridges:\n').bridges, []);
});

test('validation errors name the key', () => {
  assert.equal(errorOf('bridges: {name: x}\n'), 'config error: bridges must be a list or null (got {"name":"x"})');
  assert.equal(errorOf('bridges:\n  - name: slack\n'), 'config error: bridges[0].config is required');
  assert.equal(errorOf('bridges:\n  - config: c.yaml\n'), 'config error: bridges[0].name is required');
  assert.match(errorOf('bridges:\n  - name: Slack Bridge\n    config: c.yaml\n'), /^config error: bridges\[0\]\.name must be a bridge name: .* \(got "Slack Bridge"\)$/);
  assert.equal(errorOf('bridges:\n  - name: s\n    config: c.yaml\n    enabled: "yes"\n'), 'config error: bridges[0].enabled must be boolean (got "yes")');
  assert.equal(errorOf('bridges:\n  - name: s\n    config: ""\n'), 'config error: bridges[0].config must be a file path (got "")');
  assert.equal(
    errorOf('bridges:\n  - name: s\n    config: a.yaml\n  - name: s\n    config: b.yaml\n'),
    'config error: bridges[1].name "s" is used by an earlier bridge; names must be unique',
  );
});
