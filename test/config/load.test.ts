import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig, loadConfigWithWarnings } from '../../src/config/load.js';
import { DEFAULT_ROOM_VERSION } from '../../src/protocol/room-versions.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-config-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function writeYaml(text: string, name = `hs${n++}.yaml`): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function errorOf(yamlText: string, env: Record<string, string> = {}): string {
  const p = writeYaml(yamlText);
  try {
    loadConfig(p, env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `error must be one line: ${e.message}`);
    return e.message;
  }
  assert.fail(`config loaded but should have failed:\n${yamlText}`);
}

describe('a real Synapse homeserver.yaml', () => {
  const path = join(FIXTURES, 'synapse-homeserver.yaml');

  test('loads, listing every key we do not implement in one warning', () => {
    const { warnings } = loadConfigWithWarnings(path, {});
    const ignored = warnings.filter((w) => w.startsWith('ignoring config keys'));
    assert.equal(ignored.length, 1);
    const listed = ignored[0]!.replace(/^[^:]*: /, '').split(', ');
    for (const key of [
      'pid_file',
      'web_client_location',
      'database.txn_limit',
      'database.args.keepalives_idle',
      'macaroon_secret_key',
      'form_secret',
      'suppress_key_server_warning',
      'redis.use_tls',
      'presence',
      'email',
    ]) {
      assert.ok(listed.includes(key), `${key} should be listed as ignored: ${ignored[0]}`);
    }
    // Keys we use, and provider keys handed through to SSO, are not reported.
    for (const key of ['server_name', 'oidc_providers[0].client_secret', 'rc_message', 'rc_federation', 'database.args.cp_min']) {
      assert.ok(!listed.includes(key), `${key} must not be listed as ignored`);
    }
  });

  test('skips the metrics listener with a warning and keeps the http one', () => {
    const { config, warnings } = loadConfigWithWarnings(path, {});
    assert.ok(warnings.some((w) => w.includes('listeners[1]') && w.includes('metrics')));
    assert.equal(config.listeners.length, 1);
    assert.deepEqual(config.listeners[0], {
      port: 8008,
      bindAddresses: ['::1', '127.0.0.1'],
      type: 'http',
      tls: false,
      tlsCertificatePath: null,
      tlsPrivateKeyPath: null,
      xForwarded: true,
      resources: [{ names: ['client', 'federation'], compress: false }],
    });
  });

  test('maps the values it uses', () => {
    const config = loadConfig(path, {});
    assert.equal(config.serverName, 'example.org');
    assert.equal(config.publicBaseUrl, 'https://matrix.example.org/');
    assert.deepEqual(config.database, {
      engine: 'postgres',
      host: 'localhost',
      port: 5432,
      user: 'synapse_user',
      password: 'secretpassword',
      database: 'synapse',
      connectionString: null,
      poolMin: 5,
      poolMax: 10,
    });
    assert.equal(config.signingKeyPath, join(FIXTURES, 'keys/example.org.signing.key'));
    assert.equal(config.keyRefreshIntervalMs, 2 * 3600 * 1000);
    assert.equal(config.maxUploadSize, 100 * 1024 * 1024);
    assert.equal(config.mediaStorePath, '/data/media_store');
    assert.deepEqual(config.appServiceConfigFiles, ['/data/appservices/telegram.yaml', join(FIXTURES, 'discord.yaml')]);
    assert.equal(config.registrationSharedSecret, 's3cr3t');
    // YAML 1.1 as in PyYAML: `no` and `yes` are booleans.
    assert.equal(config.enableRegistration, false);
    assert.equal(config.reportStats, true);
    assert.equal(config.registrationRequiresToken, true);
    assert.deepEqual(config.redis, { enabled: true, host: 'redis', port: 6379, password: null, dbid: 0 });
    assert.deepEqual(config.federationDomainWhitelist, ['matrix.org', 'example.com']);
    assert.deepEqual(config.ipRangeBlacklist, ['127.0.0.0/8', '10.0.0.0/8', 'fe80::/10']);
    assert.deepEqual(config.ipRangeWhitelist, ['192.168.1.1']);
    assert.deepEqual(config.trustedKeyServers, [
      { serverName: 'matrix.org', verifyKeys: { 'ed25519:auto': 'Noi6WqcDj0QmPxCNQqgezwTlBKrfqehY1u2FyWP9uYw' } },
    ]);
    assert.deepEqual(config.oldSigningKeys, {
      'ed25519:id': { key: 'Noi6WqcDj0QmPxCNQqgezwTlBKrfqehY1u2FyWP9uYw', expiredTs: 123456789123 },
    });
    assert.equal(config.defaultRoomVersion, '10');
    assert.equal(config.serveServerWellknown, true);
    assert.equal(config.oidcProviders.length, 1);
    assert.equal(config.oidcProviders[0]?.client_secret, 'x');
  });

  test('merges configured rate limits over Synapse defaults', () => {
    const { rateLimits } = loadConfig(path, {});
    assert.deepEqual(rateLimits.message, { perSecond: 0.5, burstCount: 15 });
    assert.deepEqual(rateLimits['login.address'], { perSecond: 1, burstCount: 5 });
    assert.deepEqual(rateLimits['login.account'], { perSecond: 0.003, burstCount: 5 });
    assert.deepEqual(rateLimits['login.failed_attempts'], { perSecond: 0.1, burstCount: 2 });
    assert.deepEqual(rateLimits['joins.remote'], { perSecond: 0.01, burstCount: 20 });
    assert.deepEqual(rateLimits['joins.local'], { perSecond: 0.1, burstCount: 10 });
    assert.deepEqual(rateLimits.admin_redaction, { perSecond: 1, burstCount: 3 });
  });

  test('reads rc_federation, with Synapse\'s defaults for the keys left out', () => {
    const { federationRateLimit } = loadConfig(path, {});
    assert.deepEqual(federationRateLimit, { windowSizeMs: 1000, sleepLimit: 20, sleepDelayMs: 500, rejectLimit: 50, concurrent: 3 });
  });
});

describe('defaults', () => {
  test('a config with only server_name gets Synapse defaults, paths under the config directory', () => {
    const p = writeYaml('server_name: example.com\n', 'minimal.yaml');
    const { config, warnings } = loadConfigWithWarnings(p, {});
    assert.equal(config.configPath, p);
    assert.equal(config.publicBaseUrl, 'https://example.com/');
    assert.deepEqual(config.database, { engine: 'sqlite', path: join(dir, 'homeserver.db') });
    assert.equal(config.signingKeyPath, join(dir, 'example.com.signing.key'));
    assert.equal(config.mediaStorePath, join(dir, 'media_store'));
    assert.equal(config.maxUploadSize, 50 * 1024 * 1024);
    assert.equal(config.maxRequestBodySize, 8 * 1024 * 1024);
    assert.equal(config.keyRefreshIntervalMs, 86_400_000);
    assert.equal(config.defaultRoomVersion, DEFAULT_ROOM_VERSION);
    assert.deepEqual(config.trustedKeyServers, [{ serverName: 'matrix.org', verifyKeys: null }]);
    assert.ok(config.ipRangeBlacklist.includes('10.0.0.0/8'));
    assert.equal(config.enableRegistration, false);
    assert.equal(config.registrationSharedSecret, null);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.allowQueryStringAccessTokens, false);
    assert.equal(config.federationVerifyCertificates, true);
    assert.equal(config.serveServerWellknown, false);
    assert.equal(config.clientWellKnown, null);
    assert.deepEqual(config.rateLimits.message, { perSecond: 0.2, burstCount: 10 });
    assert.equal(config.rateLimits.admin_redaction, undefined);
    assert.deepEqual(config.listeners, []);
    assert.ok(warnings.some((w) => w.includes('no http listeners')));
  });

  test('state_group_gc_interval is a duration, absent by default (src/rooms then collects hourly), 0 turns it off', () => {
    assert.equal(loadConfigWithWarnings(writeYaml('server_name: example.com\n', 'gc-default.yaml'), {}).config.stateGroupGcIntervalMs, undefined);
    assert.equal(loadConfigWithWarnings(writeYaml('server_name: example.com\nstate_group_gc_interval: 10m\n', 'gc-10m.yaml'), {}).config.stateGroupGcIntervalMs, 600_000);
    assert.equal(loadConfigWithWarnings(writeYaml('server_name: example.com\nstate_group_gc_interval: 0\n', 'gc-off.yaml'), {}).config.stateGroupGcIntervalMs, 0);
  });

  test('federation_custom_ca_list paths resolve under the config directory (none by default)', () => {
    assert.deepEqual(loadConfig(writeYaml('server_name: example.com\n'), {}).federationCustomCaList, []);
    const config = loadConfig(writeYaml('server_name: example.com\nfederation_custom_ca_list: [ca.pem, /etc/ssl/other.pem]\n'), {});
    assert.deepEqual(config.federationCustomCaList, [join(dir, 'ca.pem'), '/etc/ssl/other.pem']);
    assert.match(errorOf('server_name: example.com\nfederation_custom_ca_list: [1]\n'), /federation_custom_ca_list/);
  });

  test('the config is deeply frozen', () => {
    const config = loadConfig(writeYaml('server_name: example.com\nlisteners: [{port: 1, type: http}]\n'), {});
    assert.throws(() => {
      (config as { serverName: string }).serverName = 'x';
    }, TypeError);
    assert.throws(() => {
      (config.listeners[0] as { port: number }).port = 2;
    }, TypeError);
  });

  test('a listener without addresses binds 0.0.0.0 and public_baseurl gains its trailing slash', () => {
    const config = loadConfig(
      writeYaml('server_name: a.test\npublic_baseurl: https://m.a.test\nlisteners: [{port: 8008, type: http, resources: [{names: [client]}]}]\n'),
      {},
    );
    assert.deepEqual(config.listeners[0]?.bindAddresses, ['0.0.0.0']);
    assert.equal(config.publicBaseUrl, 'https://m.a.test/');
  });

  test('extra_well_known_client_content extends the client well-known document', () => {
    const config = loadConfig(
      writeYaml('server_name: a.test\nextra_well_known_client_content: {"org.example.x": {"y": 1}}\n'),
      {},
    );
    assert.deepEqual(config.clientWellKnown, {
      'm.homeserver': { base_url: 'https://a.test/' },
      'org.example.x': { y: 1 },
    });
  });

  test('a dsn becomes the Postgres connection string', () => {
    const config = loadConfig(
      writeYaml('server_name: a.test\ndatabase: {name: psycopg2, args: {dsn: "postgres://u@db:5433/hs", cp_max: 20}}\n'),
      {},
    );
    assert.equal(config.database.engine, 'postgres');
    if (config.database.engine === 'postgres') {
      assert.equal(config.database.connectionString, 'postgres://u@db:5433/hs');
      assert.equal(config.database.poolMax, 20);
      assert.equal(config.database.poolMin, 5);
    }
  });

  test('registration_shared_secret_path is read relative to the config', () => {
    writeFileSync(join(dir, 'secret.txt'), 'from-file\n');
    const config = loadConfig(writeYaml('server_name: a.test\nregistration_shared_secret_path: secret.txt\n'), {});
    assert.equal(config.registrationSharedSecret, 'from-file');
  });
});

describe('log level', () => {
  test('log_config implies the level of its root logger', () => {
    writeFileSync(join(dir, 'log.config'), 'version: 1\nroot:\n  level: WARNING\n  handlers: [console]\n');
    const { config, warnings } = loadConfigWithWarnings(writeYaml('server_name: a.test\nlog_config: log.config\n'), {});
    assert.equal(config.logLevel, 'warn');
    assert.ok(warnings.some((w) => w.includes('log_config')));
  });

  test('an unreadable log_config is ignored with a warning', () => {
    const { config, warnings } = loadConfigWithWarnings(writeYaml('server_name: a.test\nlog_config: nope.config\n'), {});
    assert.equal(config.logLevel, 'info');
    assert.ok(warnings.some((w) => w.includes('nope.config') && w.includes('ignored')));
  });

  test('log_level wins over log_config, and HEARTH_LOG_LEVEL over both', () => {
    const p = writeYaml('server_name: a.test\nlog_config: log.config\nlog_level: debug\n');
    assert.equal(loadConfig(p, {}).logLevel, 'debug');
    assert.equal(loadConfig(p, { HEARTH_LOG_LEVEL: 'error' }).logLevel, 'error');
    assert.throws(() => loadConfig(p, { HEARTH_LOG_LEVEL: 'loud' }), /HEARTH_LOG_LEVEL/);
  });
});

describe('fatal errors name the key', () => {
  const cases: Array<[string, string, RegExp | string]> = [
    [
      'a listener port that is not a number',
      'server_name: a.test\nlisteners:\n  - port: "abc"\n    type: http\n',
      'config error: listeners[0].port must be integer between 0 and 65535 (got "abc")',
    ],
    [
      'a missing server_name',
      'listeners: []\n',
      'config error: server_name is required',
    ],
    [
      'a boolean given as a word',
      'server_name: a.test\nenable_registration: "maybe"\n',
      'config error: enable_registration must be boolean (got "maybe")',
    ],
    [
      'a bad duration',
      'server_name: a.test\nkey_refresh_interval: 1 fortnight\n',
      /^config error: key_refresh_interval must be a duration such as .* \(got "1 fortnight"\)$/,
    ],
    [
      'a bad size',
      'server_name: a.test\nmax_upload_size: 50 megs\n',
      /^config error: max_upload_size must be a size such as .* \(got "50 megs"\)$/,
    ],
    [
      'a rate limit that is not a number',
      'server_name: a.test\nrc_login:\n  account:\n    per_second: fast\n',
      'config error: rc_login.account.per_second must be number (got "fast")',
    ],
    [
      'an unsupported default room version',
      'server_name: a.test\ndefault_room_version: "13"\n',
      /^config error: default_room_version must be a room version we support \(1, 2, .*12\) \(got "13"\)$/,
    ],
    [
      'a Postgres port that is not a number',
      'server_name: a.test\ndatabase: {name: psycopg2, args: {port: "fivefour"}}\n',
      'config error: database.args.port must be a port number (got "fivefour")',
    ],
    [
      'a trusted key server without a name',
      'server_name: a.test\ntrusted_key_servers:\n  - verify_keys: {}\n',
      'config error: trusted_key_servers[0].server_name is required',
    ],
    [
      'a malformed old signing key id',
      'server_name: a.test\nold_signing_keys:\n  "rsa:1": {key: "x", expired_ts: 1}\n',
      /^config error: old_signing_keys has key "rsa:1"; keys must be a key id/,
    ],
    [
      'an old signing key that is not a public key',
      'server_name: a.test\nold_signing_keys:\n  "ed25519:old": {key: "short", expired_ts: 1}\n',
      /^config error: old_signing_keys\["ed25519:old"\]\.key must be an unpadded base64 ed25519 public key/,
    ],
    [
      'a bad IP range',
      'server_name: a.test\nip_range_blacklist: ["10.0.0.0/99"]\n',
      'config error: ip_range_blacklist[0] must be an IP address or CIDR range (got "10.0.0.0/99")',
    ],
    [
      'a TLS listener without certificate paths',
      'server_name: a.test\nlisteners: [{port: 8448, type: http, tls: true}]\n',
      /^config error: listeners\[0\]\.tls is true, so tls_certificate_path and tls_private_key_path are required$/,
    ],
    [
      'a list where a mapping belongs',
      'server_name: a.test\nredis: [1]\n',
      'config error: redis must be a mapping (got [1])',
    ],
    ['a server name with a path', 'server_name: "a.test/x"\n', /^config error: server_name must be a server name such as/],
    ['a file that is not a mapping', '- just\n- a list\n', /^config error: the config file must be a mapping/],
  ];
  for (const [name, yamlText, expected] of cases) {
    test(name, () => {
      const message = errorOf(yamlText);
      if (typeof expected === 'string') assert.equal(message, expected);
      else assert.match(message, expected);
    });
  }

  test('an unknown database engine is fatal and says which engines exist', () => {
    const message = errorOf('server_name: a.test\ndatabase:\n  name: mysql\n  args: {database: hs}\n');
    assert.match(message, /^config error: database\.name must be a supported database engine/);
    assert.ok(message.includes('"sqlite3"') && message.includes('"psycopg2"') && message.includes('"mysql"'), message);
  });

  test('invalid YAML and a missing file are fatal with the path', () => {
    const bad = writeYaml('server_name: [unclosed\n');
    assert.throws(() => loadConfig(bad, {}), (e: Error) => e instanceof ConfigError && e.message.includes(bad));
    const missing = join(dir, 'missing.yaml');
    assert.throws(() => loadConfig(missing, {}), (e: Error) => e instanceof ConfigError && e.message.includes(missing));
  });
});

test('TURN, user directory and server notice keys load with Synapse names and defaults', async () => {
  const { buildConfig } = await import('../../src/config/index.js');
  const base = { server_name: 'example.org', signing_key_path: 'k' };
  const configDir = '/tmp';
  const plain = buildConfig(base, { configDir, configPath: null, env: {} }).config;
  assert.deepEqual(plain.turnUris, []);
  assert.equal(plain.turnUserLifetimeMs, 3_600_000);
  assert.equal(plain.userDirectorySearchAllUsers, false);
  assert.equal(plain.serverNoticesMxidLocalpart, undefined);
  const full = buildConfig(
    {
      ...base,
      turn_uris: ['turn:turn.example.org?transport=udp'],
      turn_shared_secret: 's3cret',
      turn_user_lifetime: '2h',
      user_directory: { search_all_users: true },
      server_notices: { system_mxid_localpart: 'notices', room_name: 'Server Notices' },
    },
    { configDir, configPath: null, env: {} },
  ).config;
  assert.deepEqual(full.turnUris, ['turn:turn.example.org?transport=udp']);
  assert.equal(full.turnSharedSecret, 's3cret');
  assert.equal(full.turnUserLifetimeMs, 7_200_000);
  assert.equal(full.userDirectorySearchAllUsers, true);
  assert.equal(full.serverNoticesMxidLocalpart, 'notices');
  assert.equal(full.serverNoticesRoomName, 'Server Notices');
  assert.throws(() => buildConfig({ ...base, turn_uris: 'turn:x' }, { configDir, configPath: null, env: {} }), /turn_uris/);
});
