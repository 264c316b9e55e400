import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { UsageError, type CliContext } from './io.js';

// `hearth register-user`: Synapse's register_new_matrix_user, flag for flag. It talks to a running server over
// HTTP with the shared secret (/_synapse/admin/v1/register), so it works against this server and Synapse alike.

export const REGISTER_USER_USAGE = `usage: hearth register-user [-u USER] [-p PASSWORD] [-t USER_TYPE] [-a | --no-admin]
                           (-c CONFIG | -k SHARED_SECRET) [server_url]
  Registers a user on a running server with the registration shared secret.
  -u, --user           local part of the new user (prompted on a terminal when missing)
  -p, --password       password (prompted on a terminal when missing)
  -t, --user_type      user type, e.g. "bot" or "support"
  -a, --admin          make the user a server admin
      --no-admin       make a normal user (the default when not on a terminal)
  -c, --config PATH    homeserver.yaml to read registration_shared_secret from
  -k, --shared-secret  the registration shared secret
  server_url           default: the config's first client listener, else http://127.0.0.1:8008`;

const DEFAULT_SERVER_URL = 'http://127.0.0.1:8008';

interface SecretSource {
  secret: string | null;
  serverUrl: string | null;
}

/** registration_shared_secret(_path) and a local URL for the first plain client listener in the config. */
function readConfig(path: string): SecretSource {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'), { version: '1.1' });
  } catch (e) {
    throw new Error(`cannot read config ${path}: ${(e as Error).message}`);
  }
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  let secret = typeof r.registration_shared_secret === 'string' ? r.registration_shared_secret : null;
  if (secret === null && typeof r.registration_shared_secret_path === 'string') {
    const p = r.registration_shared_secret_path;
    secret = readFileSync(isAbsolute(p) ? p : resolve(dirname(path), p), 'utf8').trim();
  }
  let serverUrl: string | null = null;
  for (const l of Array.isArray(r.listeners) ? (r.listeners as Array<Record<string, unknown>>) : []) {
    const names = (Array.isArray(l.resources) ? (l.resources as Array<Record<string, unknown>>) : []).flatMap((x) =>
      Array.isArray(x.names) ? (x.names as unknown[]) : [],
    );
    if (l.type === 'http' && typeof l.port === 'number' && names.includes('client')) {
      serverUrl = `${l.tls === true ? 'https' : 'http'}://localhost:${l.port}`;
      break;
    }
  }
  return { secret, serverUrl };
}

async function prompt(question: string, hidden: boolean): Promise<string> {
  // Hidden input (passwords): echo nothing while the user types.
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) process.stdout.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = rl.question(question);
    muted = hidden;
    const value = await answer;
    if (hidden) process.stdout.write('\n');
    return value;
  } finally {
    rl.close();
  }
}

async function request(url: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { error: text.slice(0, 200) };
  }
  return { status: res.status, json };
}

export async function registerUserCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      user: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'p' },
      user_type: { type: 'string', short: 't' },
      admin: { type: 'boolean', short: 'a' },
      'no-admin': { type: 'boolean' },
      config: { type: 'string', short: 'c' },
      'shared-secret': { type: 'string', short: 'k' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    ctx.out(REGISTER_USER_USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('at most one server URL may be given');
  if (values.admin && values['no-admin']) throw new UsageError('--admin and --no-admin are mutually exclusive');
  if (values.config !== undefined && values['shared-secret'] !== undefined) {
    throw new UsageError('give either --config or --shared-secret, not both');
  }

  let source: SecretSource = { secret: values['shared-secret'] ?? null, serverUrl: null };
  if (values.config !== undefined) source = readConfig(resolve(ctx.cwd, values.config));
  if (values.config === undefined && values['shared-secret'] === undefined) throw new UsageError('one of --config or --shared-secret is required');
  if (!source.secret) {
    ctx.err('error: no registration_shared_secret is configured; shared-secret registration is not possible');
    return 1;
  }
  const serverUrl = (positionals[0] ?? source.serverUrl ?? DEFAULT_SERVER_URL).replace(/\/+$/, '');

  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  let user = values.user;
  if (user === undefined) {
    if (!interactive) throw new UsageError('--user is required when not run on a terminal');
    user = (await prompt('New user localpart: ', false)).trim();
  }
  let password = values.password;
  if (password === undefined) {
    if (!interactive) throw new UsageError('--password is required when not run on a terminal');
    password = await prompt('Password: ', true);
    if (password === '') {
      ctx.err('error: password must not be empty');
      return 1;
    }
    if ((await prompt('Confirm password: ', true)) !== password) {
      ctx.err('error: passwords do not match');
      return 1;
    }
  }
  let admin = values.admin === true;
  if (!values.admin && !values['no-admin'] && interactive) {
    admin = /^y(es)?$/i.test((await prompt('Make admin [no]: ', false)).trim());
  }
  const userType = values.user_type;

  const nonceRes = await request(`${serverUrl}/_synapse/admin/v1/register`);
  const nonce = nonceRes.json.nonce;
  if (nonceRes.status !== 200 || typeof nonce !== 'string') {
    ctx.err(`error: could not get a nonce from ${serverUrl}: HTTP ${nonceRes.status} ${String(nonceRes.json.error ?? '')}`);
    return 1;
  }
  const mac = createHmac('sha1', source.secret);
  mac.update(`${nonce}\0${user}\0${password}\0${admin ? 'admin' : 'notadmin'}`);
  if (userType) mac.update(`\0${userType}`);
  const res = await request(`${serverUrl}/_synapse/admin/v1/register`, {
    nonce,
    username: user,
    password,
    admin,
    mac: mac.digest('hex'),
    ...(userType ? { user_type: userType } : {}),
  });
  if (res.status !== 200) {
    ctx.err(`error: registration failed: HTTP ${res.status} ${String(res.json.errcode ?? '')} ${String(res.json.error ?? '')}`.trimEnd());
    return 1;
  }
  ctx.out(`Success! Registered ${String(res.json.user_id)}${admin ? ' (admin)' : ''}`);
  return 0;
}
