import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/errors.js';
import { generateConfigFile, newRegistrationSecret } from '../../src/config/generate.js';
import { loadConfigWithWarnings } from '../../src/config/load.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-generate-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('generate-config output', () => {
  test('loads back without warnings and describes the server asked for', () => {
    const configPath = join(dir, 'one', 'homeserver.yaml');
    const result = generateConfigFile({ serverName: 'chat.example.org', reportStats: false, configPath, dataDir: join(dir, 'one') });
    const { config, warnings } = loadConfigWithWarnings(configPath, {});
    assert.deepEqual(warnings, []);
    assert.equal(config.serverName, 'chat.example.org');
    assert.equal(config.reportStats, false);
    assert.deepEqual(config.listeners, [
      {
        port: 8008,
        bindAddresses: ['127.0.0.1'],
        type: 'http',
        tls: false,
        tlsCertificatePath: null,
        tlsPrivateKeyPath: null,
        xForwarded: false,
        resources: [{ names: ['client', 'federation'], compress: false }],
      },
    ]);
    assert.deepEqual(config.database, { engine: 'sqlite', path: join(dir, 'one', 'homeserver.db') });
    assert.equal(config.signingKeyPath, join(dir, 'one', 'chat.example.org.signing.key'));
    assert.equal(result.signingKeyPath, config.signingKeyPath);
    assert.equal(result.signingKeyCreated, true);
    assert.match(readFileSync(config.signingKeyPath, 'utf8'), /^ed25519 a_\w{4} [A-Za-z0-9+/]{43}\n$/);
    assert.equal(config.mediaStorePath, join(dir, 'one', 'media_store'));
    assert.match(config.registrationSharedSecret ?? '', /^[A-Za-z0-9_-]{43}$/);
    // Comments explain the file to the operator.
    assert.match(readFileSync(configPath, 'utf8'), /^# /m);
  });

  test('each generated config has its own registration secret, and report_stats is recorded', () => {
    const a = join(dir, 'a', 'homeserver.yaml');
    const b = join(dir, 'b', 'homeserver.yaml');
    generateConfigFile({ serverName: 'a.test', reportStats: true, configPath: a, dataDir: join(dir, 'a') });
    generateConfigFile({ serverName: 'b.test', reportStats: false, configPath: b, dataDir: join(dir, 'b') });
    const ca = loadConfigWithWarnings(a, {}).config;
    const cb = loadConfigWithWarnings(b, {}).config;
    assert.notEqual(ca.registrationSharedSecret, cb.registrationSharedSecret);
    assert.equal(ca.reportStats, true);
  });

  test('a registration secret never starts with "-", which `register-user -k` would take for an option', () => {
    // One base64url secret in 64 starts with '-': 2,000 draws would all but surely show one.
    const secrets = Array.from({ length: 2_000 }, () => newRegistrationSecret());
    for (const s of secrets) assert.match(s, /^[A-Za-z0-9_][A-Za-z0-9_-]{42}$/);
    assert.equal(new Set(secrets).size, secrets.length);
  });

  test('data kept beside the config is written with relative paths, elsewhere with absolute ones', () => {
    const beside = join(dir, 'rel', 'homeserver.yaml');
    generateConfigFile({ serverName: 'rel.test', reportStats: false, configPath: beside, dataDir: join(dir, 'rel', 'data') });
    assert.match(readFileSync(beside, 'utf8'), /database: "data\/homeserver\.db"/);
    const apart = join(dir, 'abs', 'homeserver.yaml');
    const dataDir = join(dir, 'elsewhere');
    generateConfigFile({ serverName: 'abs.test', reportStats: false, configPath: apart, dataDir });
    const { config } = loadConfigWithWarnings(apart, {});
    assert.equal(config.database.engine === 'sqlite' && config.database.path, join(dataDir, 'homeserver.db'));
    assert.ok(existsSync(join(dataDir, 'abs.test.signing.key')));
  });

  test('refuses to overwrite an existing config', () => {
    const configPath = join(dir, 'keep', 'homeserver.yaml');
    generateConfigFile({ serverName: 'keep.test', reportStats: false, configPath, dataDir: join(dir, 'keep') });
    const before = readFileSync(configPath, 'utf8');
    assert.throws(
      () => generateConfigFile({ serverName: 'other.test', reportStats: false, configPath, dataDir: join(dir, 'keep') }),
      (e: Error) => e instanceof ConfigError && /already exists/.test(e.message),
    );
    assert.equal(readFileSync(configPath, 'utf8'), before);
  });

  test('an invalid server name fails before anything is written', () => {
    const configPath = join(dir, 'bad', 'homeserver.yaml');
    assert.throws(
      () => generateConfigFile({ serverName: 'not a name', reportStats: false, configPath, dataDir: join(dir, 'bad') }),
      /server_name/,
    );
    assert.equal(existsSync(configPath), false);
  });
});
