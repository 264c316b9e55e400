import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { CliContext } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    env: { HEARTH_LOG_LEVEL: 'fatal', ...env },
    cwd: dir,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  };
  const code = await runCli(argv, ctx);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('hearth CLI', () => {
  test('--version prints the version from package.json', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await cli(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.out, pkg.version);
  });

  test('--help lists the commands; no command prints usage and fails', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['start', 'generate-config', 'generate-keys', 'migrate']) assert.ok(r.out.includes(c), c);
    assert.equal((await cli([])).code, 2);
  });

  test('an unknown command or option is a usage error (exit 2)', async () => {
    const a = await cli(['frobnicate']);
    assert.equal(a.code, 2);
    assert.match(a.err, /unknown command "frobnicate"/);
    const b = await cli(['start', '--bogus']);
    assert.equal(b.code, 2);
    assert.match(b.err, /--bogus/);
  });

  test('generate-config takes the server name and report-stats from flags', async () => {
    const configPath = join(dir, 'flags', 'homeserver.yaml');
    const r = await cli(['generate-config', '--server-name', 'flags.test', '--report-stats=yes', '--config-path', configPath]);
    assert.equal(r.code, 0, r.err);
    const config = loadConfig(configPath, {});
    assert.equal(config.serverName, 'flags.test');
    assert.equal(config.reportStats, true);
    assert.ok(existsSync(join(dir, 'flags', 'flags.test.signing.key')));
  });

  test('generate-config falls back to SYNAPSE_* environment variables, with a separate data dir', async () => {
    const r = await cli(['generate-config'], {
      SYNAPSE_SERVER_NAME: 'env.test',
      SYNAPSE_REPORT_STATS: 'no',
      SYNAPSE_CONFIG_PATH: 'env/homeserver.yaml',
      SYNAPSE_DATA_DIR: 'envdata',
    });
    assert.equal(r.code, 0, r.err);
    const config = loadConfig(join(dir, 'env', 'homeserver.yaml'), {});
    assert.equal(config.serverName, 'env.test');
    assert.equal(config.reportStats, false);
    assert.equal(config.signingKeyPath, join(dir, 'envdata', 'env.test.signing.key'));
  });

  test('generate-config requires a server name and a yes/no report-stats', async () => {
    const a = await cli(['generate-config', '--report-stats=no', '--config-path', 'x/homeserver.yaml']);
    assert.equal(a.code, 2);
    assert.match(a.err, /--server-name/);
    const b = await cli(['generate-config', '--server-name', 'a.test', '--config-path', 'x/homeserver.yaml']);
    assert.equal(b.code, 2);
    assert.match(b.err, /--report-stats/);
    const c = await cli(['generate-config', '--server-name', 'a.test', '--report-stats=maybe', '--config-path', 'x/homeserver.yaml']);
    assert.equal(c.code, 2);
    assert.equal(existsSync(join(dir, 'x')), false);
  });

  test('generate-config refuses to overwrite (exit 1) and leaves the file alone', async () => {
    const args = ['generate-config', '--server-name', 'once.test', '--report-stats=no', '--config-path', 'once/homeserver.yaml'];
    assert.equal((await cli(args)).code, 0);
    const before = readFileSync(join(dir, 'once', 'homeserver.yaml'), 'utf8');
    const again = await cli(args);
    assert.equal(again.code, 1);
    assert.match(again.err, /^config error: .*already exists/);
    assert.equal(readFileSync(join(dir, 'once', 'homeserver.yaml'), 'utf8'), before);
  });

  test('generate-keys writes a missing key file and leaves an existing one', async () => {
    const configPath = join(dir, 'keys', 'homeserver.yaml');
    await cli(['generate-config', '--server-name', 'keys.test', '--report-stats=no', '--config-path', configPath]);
    const keyPath = join(dir, 'keys', 'keys.test.signing.key');
    const original = readFileSync(keyPath, 'utf8');

    const kept = await cli(['generate-keys', '--config', configPath]);
    assert.equal(kept.code, 0);
    assert.match(kept.out, /already exists/);
    assert.equal(readFileSync(keyPath, 'utf8'), original);

    unlinkSync(keyPath);
    const made = await cli(['generate-keys', '-c', configPath]);
    assert.equal(made.code, 0);
    assert.match(made.out, /wrote signing key/);
    assert.notEqual(readFileSync(keyPath, 'utf8'), original);
  });

  test('migrate applies the schema once, then reports it up to date', async () => {
    const configPath = join(dir, 'migrate', 'homeserver.yaml');
    await cli(['generate-config', '--server-name', 'migrate.test', '--report-stats=no', '--config-path', configPath]);
    const first = await cli(['migrate', '--config', configPath]);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /applied migrations: 0001_/);
    assert.ok(existsSync(join(dir, 'migrate', 'homeserver.db')));
    const second = await cli(['migrate', '--config', configPath]);
    assert.equal(second.code, 0, second.err);
    assert.equal(second.out, 'database schema is up to date');
  });

  test('a config error from any command is one line on stderr with exit 1', async () => {
    const r = await cli(['migrate', '--config', 'missing.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^config error: config file .*missing\.yaml does not exist$/);
  });
});
