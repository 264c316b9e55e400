import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
// The core's own loader: the registration must be one the homeserver accepts (tests may import the core).
import { loadRegistrations } from '../../../src/appservice/registration.js';

const MAIN = new URL('../src/main.ts', import.meta.url).pathname;
// Resolved here, not from the child's working directory (a temp dir without node_modules).
const TSX = import.meta.resolve('tsx');

function cli(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
}

describe('slack-webhooks generate-registration', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-slack-reg-'));
    await writeFile(
      join(dir, 'config.yaml'),
      [
        'homeserver: { url: "http://127.0.0.1:8008", domain: "chat.example.org" }',
        'appservice: { port: 9898 }',
        'public: { port: 9899, url: "https://bridge.example.org" }',
        'database: { engine: sqlite, filename: bridge.db }',
      ].join('\n'),
    );
  });

  after(() => rm(dir, { recursive: true, force: true }));

  it('writes registrations/slack-webhooks.yaml that the core loads, with exclusive slack_ namespaces and fresh tokens', async () => {
    const r = cli(dir, 'generate-registration', '-c', 'config.yaml');
    assert.equal(r.status, 0, r.stderr);
    const path = join(dir, 'registrations', 'slack-webhooks.yaml');
    const [reg] = loadRegistrations([path]);
    assert.ok(reg);
    assert.equal(reg.id, 'slack-webhooks');
    assert.equal(reg.url, 'http://127.0.0.1:9898');
    assert.equal(reg.senderLocalpart, 'slackbot');
    assert.equal(reg.rateLimited, false);
    assert.deepEqual(reg.namespaces.users, [{ regex: '@slack_.*:chat\\.example\\.org', exclusive: true }]);
    assert.deepEqual(reg.namespaces.aliases, [{ regex: '#slack_.*:chat\\.example\\.org', exclusive: true }]);
    assert.match(reg.asToken, /^[0-9a-f]{32,}$/);
    assert.match(reg.hsToken, /^[0-9a-f]{32,}$/);
    assert.notEqual(reg.asToken, reg.hsToken);
    const users = new RegExp(`^${reg.namespaces.users[0]?.regex ?? ''}$`);
    assert.ok(users.test('@slack_t0001_u0002:chat.example.org'));
    assert.ok(!users.test('@slack_t0001_u0002:chat-example.org'), 'the domain dots are escaped');
  });

  it('refuses to replace an existing registration without --force, and --force writes new tokens', async () => {
    const path = join(dir, 'registrations', 'slack-webhooks.yaml');
    const before = parse(await readFile(path, 'utf8')) as { as_token: string };
    const refused = cli(dir, 'generate-registration', '-c', 'config.yaml');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /exists; pass --force/);
    const forced = cli(dir, 'generate-registration', '-c', 'config.yaml', '--force', '-u', 'http://10.0.0.5:9000');
    assert.equal(forced.status, 0, forced.stderr);
    const [reg] = loadRegistrations([path]);
    assert.notEqual(reg?.asToken, before.as_token);
    assert.equal(reg?.url, 'http://10.0.0.5:9000');
  });

  it('a bad config stops it with the file and the field named', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'homeserver: { url: "http://x", domain: "d" }\nappservice: { port: 99999 }\npublic: { port: 1, url: "http://p" }\ndatabase: { engine: sqlite, filename: b.db }\n');
    const r = cli(dir, 'generate-registration', '-c', 'bad.yaml', '-f', 'other.yaml');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad\.yaml: appservice\.port must be <= 65535/);
  });
});
