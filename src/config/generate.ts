import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { buildConfig } from './build.js';
import { ConfigError } from './errors.js';
import { ensureSigningKeyFile } from './signing-keys.js';

// Synapse's `generate` mode: a commented homeserver.yaml for a new server, plus its signing key.

export interface GenerateOptions {
  serverName: string;
  reportStats: boolean;
  /** Where homeserver.yaml goes. */
  configPath: string;
  /** Where the database, media and signing key go. */
  dataDir: string;
}

export interface GenerateResult {
  configPath: string;
  signingKeyPath: string;
  signingKeyCreated: boolean;
}

// YAML double-quoted scalars accept JSON string escapes, so JSON.stringify quotes any value safely.
const q = (s: string): string => JSON.stringify(s);

/**
 * A new registration shared secret, 256 random bits in base64url. Never one starting with '-': operators pass it
 * on a command line (`hearth register-user -k SECRET`), where it would be read as an option (one in 64 did).
 */
export function newRegistrationSecret(): string {
  for (;;) {
    const secret = randomBytes(32).toString('base64url');
    if (!secret.startsWith('-')) return secret;
  }
}

export function renderHomeserverYaml(opts: {
  serverName: string;
  reportStats: boolean;
  /** The data directory as it should appear in the file: relative to the config file, or absolute. */
  dataDir: string;
  registrationSharedSecret: string;
}): string {
  const inData = (name: string): string => (opts.dataDir === '.' || opts.dataDir === '' ? name : join(opts.dataDir, name));
  return `# Configuration file for the homeserver, in Synapse's homeserver.yaml format.
# Keys this server does not implement are logged as ignored at startup; a key it uses with a wrong
# type or value stops the server with a message naming it. Relative paths are resolved against the
# directory of this file.

# The server name is the domain part of every user and room id here. It cannot be changed later.
server_name: ${q(opts.serverName)}

# The URL clients and other servers use to reach this server (defaults to https://<server_name>/).
# public_baseurl: ${q(`https://${opts.serverName}/`)}

listeners:
  # Plain HTTP on localhost: put a TLS-terminating reverse proxy in front of it for the outside world
  # (set x_forwarded: true so client addresses come from X-Forwarded-For).
  - port: 8008
    tls: false
    type: http
    x_forwarded: false
    bind_addresses: ['127.0.0.1']
    resources:
      - names: [client, federation]
        compress: false

# Embedded SQLite needs nothing installed. For production use PostgreSQL:
#   database:
#     name: psycopg2
#     args: { user: synapse, password: secret, dbname: synapse, host: localhost, port: 5432, cp_min: 5, cp_max: 10 }
database:
  name: sqlite3
  args:
    database: ${q(inData('homeserver.db'))}

# This server's federation identity (Synapse's key file format). Keep it secret and back it up.
signing_key_path: ${q(inData(`${opts.serverName}.signing.key`))}

media_store_path: ${q(inData('media_store'))}
max_upload_size: 50M

# Lets the register-user tool create accounts (including admins) with this secret. Keep it secret.
registration_shared_secret: ${q(opts.registrationSharedSecret)}
enable_registration: false

# Servers trusted to vouch for other servers' signing keys.
trusted_key_servers:
  - server_name: "matrix.org"

# Logging (our own key): trace, debug, info, warn, error or fatal. Logs are JSON lines on stdout.
log_level: info

report_stats: ${opts.reportStats ? 'true' : 'false'}
`;
}

/** Writes homeserver.yaml and the signing key. Refuses to overwrite an existing config file. */
export function generateConfigFile(opts: GenerateOptions): GenerateResult {
  const configPath = resolve(opts.configPath);
  const configDir = dirname(configPath);
  const dataDir = resolve(opts.dataDir);
  if (existsSync(configPath)) {
    throw new ConfigError(`${configPath} already exists; refusing to overwrite it (move it away first)`);
  }
  // Relative when the data sits beside (or under) the config, so the directory can be moved as a whole.
  const rel = relative(configDir, dataDir);
  const dataDirInFile = rel === '' ? '.' : !rel.startsWith('..') && !isAbsolute(rel) ? rel : dataDir;
  const text = renderHomeserverYaml({
    serverName: opts.serverName,
    reportStats: opts.reportStats,
    dataDir: dataDirInFile,
    registrationSharedSecret: newRegistrationSecret(),
  });
  // Validating before writing means a bad server name leaves nothing behind, and what we write loads back.
  const { config } = buildConfig(parseYaml(text, { version: '1.1' }), { configDir, configPath, env: {} });
  mkdirSync(configDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(configPath, text, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ConfigError(`${configPath} already exists; refusing to overwrite it (move it away first)`);
    }
    throw new ConfigError(`cannot write ${configPath} (${(e as Error).message})`);
  }
  const { created } = ensureSigningKeyFile(config.signingKeyPath);
  return { configPath, signingKeyPath: config.signingKeyPath, signingKeyCreated: created };
}
