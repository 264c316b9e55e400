import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { decodeBase64 } from '../crypto/index.js';
import { DEFAULT_ROOM_VERSION } from '../protocol/room-versions.js';
import {
  DEFAULT_BIND_ADDRESSES,
  DEFAULT_IP_RANGE_BLOCKLIST,
  DEFAULT_KEY_REFRESH_INTERVAL,
  DEFAULT_MAX_REQUEST_BODY_SIZE,
  DEFAULT_MAX_UPLOAD_SIZE,
} from './defaults.js';
import { buildBridges } from './bridges.js';
import { ConfigError, describeValue, keyPath } from './errors.js';
import { findIgnoredKeys } from './ignored-keys.js';
import { OPTIONAL_RATE_LIMITS, RATE_LIMIT_DEFAULTS } from './rate-limits.js';
import type {
  Config,
  DatabaseConfig,
  ListenerConfig,
  RateLimitConfig,
  RedisConfig,
  TrustedKeyServer,
} from './types.js';
import { parseDuration, parseSize } from './units.js';
import { createConfigValidator } from './validate.js';

// Raw homeserver.yaml object -> frozen typed Config. Validation (validate.ts) has already guaranteed the types,
// so the casts below only narrow what the schema checked.

export interface BuildOptions {
  /** Directory relative paths are resolved against (the config file's directory). */
  configDir: string;
  configPath: string | null;
  env: Readonly<Record<string, string | undefined>>;
}

export interface BuildResult {
  config: Config;
  /** Non-fatal findings (ignored keys, skipped listeners); the caller logs them once it has a logger. */
  warnings: string[];
}

type Raw = Record<string, unknown>;
type LogLevel = Config['logLevel'];
const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function obj(v: unknown): Raw {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {};
}
function optStr(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
function list<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

export function buildConfig(raw: unknown, opts: BuildOptions): BuildResult {
  const validator = createConfigValidator();
  const r = validator.validate(raw);
  const warnings: string[] = [];
  const ignored = findIgnoredKeys(validator.schema, r);
  if (ignored.length > 0) {
    warnings.push(`ignoring config keys this server does not implement: ${ignored.join(', ')}`);
  }
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(opts.configDir, p));

  const serverName = r.server_name as string;
  let publicBaseUrl = optStr(r.public_baseurl) ?? `https://${serverName}/`;
  if (!publicBaseUrl.endsWith('/')) publicBaseUrl += '/';

  const tlsCert = typeof r.tls_certificate_path === 'string' ? path(r.tls_certificate_path) : null;
  const tlsKey = typeof r.tls_private_key_path === 'string' ? path(r.tls_private_key_path) : null;

  const config: Config = {
    configPath: opts.configPath,
    serverName,
    publicBaseUrl,
    listeners: buildListeners(list<Raw>(r.listeners), tlsCert, tlsKey, warnings),
    database: buildDatabase(obj(r.database), 'database' in r, path),
    signingKeyPath: path(optStr(r.signing_key_path) ?? `${serverName}.signing.key`),
    oldSigningKeys: buildOldSigningKeys(obj(r.old_signing_keys)),
    keyRefreshIntervalMs: parseDuration((r.key_refresh_interval as string | number | undefined) ?? DEFAULT_KEY_REFRESH_INTERVAL),
    ...(r.state_group_gc_interval !== undefined && r.state_group_gc_interval !== null
      ? { stateGroupGcIntervalMs: parseDuration(r.state_group_gc_interval as string | number) }
      : {}),
    registrationSharedSecret: readSharedSecret(r, path),
    enableRegistration: r.enable_registration === true,
    registrationRequiresToken: r.registration_requires_token === true,
    appServiceConfigFiles: list<string>(r.app_service_config_files).map(path),
    bridges: buildBridges(r.bridges, path),
    redis: buildRedis(obj(r.redis)),
    mediaStorePath: path(optStr(r.media_store_path) ?? 'media_store'),
    maxUploadSize: parseSize((r.max_upload_size as string | number | undefined) ?? DEFAULT_MAX_UPLOAD_SIZE),
    ...buildMediaConfig(r),
    maxRequestBodySize: parseSize((r.max_request_body_size as string | number | undefined) ?? DEFAULT_MAX_REQUEST_BODY_SIZE),
    oidcProviders: list<Record<string, unknown>>(r.oidc_providers),
    federationDomainWhitelist: Array.isArray(r.federation_domain_whitelist) ? (r.federation_domain_whitelist as string[]) : null,
    ipRangeBlacklist: ipRanges(r, ['ip_range_blocklist', 'ip_range_blacklist'], DEFAULT_IP_RANGE_BLOCKLIST),
    ipRangeWhitelist: ipRanges(r, ['ip_range_allowlist', 'ip_range_whitelist'], []),
    trustedKeyServers: buildTrustedKeyServers(r.trusted_key_servers),
    rateLimits: buildRateLimits(r),
    federationRateLimit: buildFederationRateLimit(obj(r.rc_federation)),
    defaultRoomVersion: r.default_room_version === undefined ? DEFAULT_ROOM_VERSION : String(r.default_room_version),
    serveServerWellknown: r.serve_server_wellknown === true,
    clientWellKnown:
      r.extra_well_known_client_content === undefined
        ? null
        : { 'm.homeserver': { base_url: publicBaseUrl }, ...obj(r.extra_well_known_client_content) },
    logLevel: resolveLogLevel(r, opts, path, warnings),
    allowQueryStringAccessTokens: r.allow_query_string_access_tokens === true,
    federationTestOverrides: { ...(obj(r.federation_test_overrides) as Record<string, string>) },
    federationVerifyCertificates: r.federation_verify_certificates !== false,
    federationCustomCaList: list<string>(r.federation_custom_ca_list).map(path),
    partialStateJoins: r.federation_partial_state_joins !== false,
    reportStats: r.report_stats === true,
    ...buildAccountSettings(r),
    ...buildMiscSettings(r),
  };
  if (config.listeners.length === 0) {
    warnings.push('no http listeners are configured: the server will not answer any request');
  }
  return { config: deepFreeze(config), warnings };
}

function buildMediaConfig(r: Raw): Partial<Config> {
  const freeze = r.unauthenticated_media_freeze_date;
  const freezeTs = typeof freeze === 'number' ? freeze : typeof freeze === 'string' ? Date.parse(freeze) : null;
  if (freezeTs !== null && Number.isNaN(freezeTs)) {
    throw new ConfigError(`unauthenticated_media_freeze_date must be an ISO 8601 date-time (got ${describeValue(freeze)})`);
  }
  const sizes = Array.isArray(r.thumbnail_sizes)
    ? list<Raw>(r.thumbnail_sizes).map((t) => ({
        width: t.width as number,
        height: t.height as number,
        method: t.method === 'crop' ? ('crop' as const) : ('scale' as const),
      }))
    : undefined;
  const ranges = (name: string): string[] | undefined => {
    if (!Array.isArray(r[name])) return undefined;
    return (r[name] as string[]).map((s, i) => {
      if (!validCidr(s)) throw new ConfigError(`${name}[${i}] must be an IP address or CIDR range (got ${describeValue(s)})`);
      return s;
    });
  };
  const out: Partial<Config> = {
    maxImagePixels: parseSize((r.max_image_pixels as string | number | undefined) ?? '32M'),
    dynamicThumbnails: r.dynamic_thumbnails === true,
    enableAuthenticatedMedia: r.enable_authenticated_media !== false,
    unauthenticatedMediaFreezeTs: freezeTs,
    maxPendingMediaUploads: typeof r.max_pending_media_uploads === 'number' ? r.max_pending_media_uploads : 5,
    unusedMediaExpirationMs: parseDuration((r.unused_expiration_time as string | number | undefined) ?? '24h'),
    urlPreviewEnabled: r.url_preview_enabled === true,
    urlPreviewIpRangeWhitelist: ranges('url_preview_ip_range_whitelist') ?? [],
    urlPreviewUrlBlacklist: list<Record<string, string>>(r.url_preview_url_blacklist).map((e) => ({ ...e })),
    maxSpiderSize: parseSize((r.max_spider_size as string | number | undefined) ?? '10M'),
  };
  if (sizes) out.thumbnailSizes = sizes;
  // Absent means "the media code's default" (the outbound blocklist), so an explicit [] can relax it.
  const blacklist = ranges('url_preview_ip_range_blacklist');
  if (blacklist) out.urlPreviewIpRangeBlacklist = blacklist;
  return out;
}

/** Password and token settings (Synapse's names; its defaults: bcrypt cost 12, refreshable tokens live 5 minutes). */
function buildAccountSettings(r: Raw): Partial<Config> {
  const pw = obj(r.password_config);
  const lifetime = (v: unknown, fallback: number | null): number | null =>
    v === undefined ? fallback : v === null ? null : parseDuration(v as string | number);
  return {
    bcryptRounds: typeof r.bcrypt_rounds === 'number' ? r.bcrypt_rounds : 12,
    passwordPepper: optStr(pw.pepper),
    // Synapse also accepts `enabled: only_for_reauth`; that still allows UIA re-auth, so only `false` disables login.
    passwordLoginEnabled: pw.enabled !== false,
    refreshableAccessTokenLifetimeMs: lifetime(r.refreshable_access_token_lifetime, 5 * 60 * 1000),
    refreshTokenLifetimeMs: lifetime(r.refresh_token_lifetime, null),
    allowGuestAccess: r.allow_guest_access === true,
  };
}

/** TURN, user directory and server notices (Synapse's key names and defaults). */
function buildMiscSettings(r: Raw): Partial<Config> {
  const dir = obj(r.user_directory);
  const notices = obj(r.server_notices);
  const out: Partial<Config> = {
    turnUris: [...list<string>(r.turn_uris)],
    turnSharedSecret: optStr(r.turn_shared_secret),
    turnUsername: optStr(r.turn_username),
    turnPassword: optStr(r.turn_password),
    turnUserLifetimeMs: parseDuration((r.turn_user_lifetime as string | number | undefined) ?? '1h'),
    turnAllowGuests: r.turn_allow_guests !== false,
    userDirectorySearchAllUsers: dir.search_all_users === true,
  };
  if (typeof notices.system_mxid_localpart === 'string') {
    out.serverNoticesMxidLocalpart = notices.system_mxid_localpart;
    if (typeof notices.system_mxid_display_name === 'string') out.serverNoticesMxidDisplayName = notices.system_mxid_display_name;
    if (typeof notices.room_name === 'string') out.serverNoticesRoomName = notices.room_name;
  }
  return out;
}

function buildListeners(raw: Raw[], tlsCert: string | null, tlsKey: string | null, warnings: string[]): ListenerConfig[] {
  const out: ListenerConfig[] = [];
  raw.forEach((l, i) => {
    if (l.type !== 'http') {
      warnings.push(`listeners[${i}] has type ${describeValue(l.type)}, which this server does not implement; skipping it`);
      return;
    }
    const tls = l.tls === true;
    if (tls && (!tlsCert || !tlsKey)) {
      throw new ConfigError(`listeners[${i}].tls is true, so tls_certificate_path and tls_private_key_path are required`);
    }
    const bind = [...list<string>(l.bind_addresses), ...(typeof l.bind_address === 'string' ? [l.bind_address] : [])];
    out.push({
      port: l.port as number,
      bindAddresses: bind.length > 0 ? bind : [...DEFAULT_BIND_ADDRESSES],
      type: 'http',
      tls,
      tlsCertificatePath: tls ? tlsCert : null,
      tlsPrivateKeyPath: tls ? tlsKey : null,
      xForwarded: l.x_forwarded === true,
      resources: list<Raw>(l.resources).map((res) => ({
        names: [...list<string>(res.names)],
        compress: res.compress === true,
      })),
    });
  });
  return out;
}

function buildDatabase(db: Raw, present: boolean, path: (p: string) => string): DatabaseConfig {
  const args = obj(db.args);
  if (!present || db.name === 'sqlite3') {
    const file = optStr(args.database) ?? 'homeserver.db';
    return { engine: 'sqlite', path: file === ':memory:' ? file : path(file) };
  }
  const portRaw = args.port;
  return {
    engine: 'postgres',
    host: optStr(args.host),
    port: portRaw === undefined ? null : Number(portRaw),
    user: optStr(args.user),
    password: optStr(args.password),
    database: optStr(args.dbname) ?? optStr(args.database),
    connectionString: optStr(args.dsn),
    poolMin: typeof args.cp_min === 'number' ? args.cp_min : 5,
    poolMax: typeof args.cp_max === 'number' ? args.cp_max : 10,
  };
}

function buildOldSigningKeys(raw: Raw): Config['oldSigningKeys'] {
  const out: Config['oldSigningKeys'] = {};
  for (const [keyId, v] of Object.entries(raw)) {
    const entry = obj(v);
    const key = entry.key as string;
    let len = -1;
    try {
      len = decodeBase64(key).length;
    } catch {
      // reported below
    }
    if (len !== 32) {
      throw new ConfigError(`${keyPath(['old_signing_keys', keyId, 'key'])} must be an unpadded base64 ed25519 public key (got ${describeValue(key)})`);
    }
    out[keyId] = { key, expiredTs: entry.expired_ts as number };
  }
  return out;
}

function readSharedSecret(r: Raw, path: (p: string) => string): string | null {
  if (typeof r.registration_shared_secret === 'string') return r.registration_shared_secret;
  if (typeof r.registration_shared_secret_path !== 'string') return null;
  const file = path(r.registration_shared_secret_path);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new ConfigError(`registration_shared_secret_path: cannot read ${file} (${(e as Error).message})`);
  }
}

function buildRedis(raw: Raw): RedisConfig {
  return {
    enabled: raw.enabled === true,
    host: optStr(raw.host) ?? 'localhost',
    port: typeof raw.port === 'number' ? raw.port : 6379,
    password: optStr(raw.password),
    dbid: typeof raw.dbid === 'number' ? raw.dbid : 0,
  };
}

function validCidr(s: string): boolean {
  const [addr, prefix, extra] = s.split('/');
  if (extra !== undefined || addr === undefined) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^[0-9]{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

function ipRanges(r: Raw, names: [string, string], fallback: readonly string[]): string[] {
  for (const name of names) {
    const v = r[name];
    if (!Array.isArray(v)) continue;
    (v as string[]).forEach((s, i) => {
      if (!validCidr(s)) throw new ConfigError(`${name}[${i}] must be an IP address or CIDR range (got ${describeValue(s)})`);
    });
    return [...(v as string[])];
  }
  return [...fallback];
}

function buildTrustedKeyServers(raw: unknown): TrustedKeyServer[] {
  // Synapse trusts matrix.org as a notary unless told otherwise; an explicit empty list disables notaries.
  if (raw === undefined) return [{ serverName: 'matrix.org', verifyKeys: null }];
  return list<Raw>(raw).map((s) => ({
    serverName: s.server_name as string,
    verifyKeys: s.verify_keys === undefined ? null : { ...(obj(s.verify_keys) as Record<string, string>) },
  }));
}

// Synapse's rc_federation keys and defaults; window_size and sleep_delay are in milliseconds.
function buildFederationRateLimit(raw: Raw): NonNullable<Config['federationRateLimit']> {
  const int = (key: string, fallback: number): number => (typeof raw[key] === 'number' ? Math.floor(raw[key] as number) : fallback);
  return {
    windowSizeMs: int('window_size', 1000),
    sleepLimit: int('sleep_limit', 10),
    sleepDelayMs: int('sleep_delay', 500),
    rejectLimit: int('reject_limit', 50),
    concurrent: int('concurrent', 3),
  };
}

function buildRateLimits(r: Raw): Record<string, RateLimitConfig> {
  const lookup = (name: string): Raw | undefined => {
    let cur: unknown = r;
    for (const part of `rc_${name}`.split('.')) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Raw)[part];
    }
    return cur === undefined ? undefined : obj(cur);
  };
  const merge = (fallback: RateLimitConfig, given: Raw | undefined): RateLimitConfig => ({
    perSecond: typeof given?.per_second === 'number' ? given.per_second : fallback.perSecond,
    burstCount: typeof given?.burst_count === 'number' ? Math.floor(given.burst_count) : fallback.burstCount,
  });
  const out: Record<string, RateLimitConfig> = {};
  for (const [name, fallback] of Object.entries(RATE_LIMIT_DEFAULTS)) out[name] = merge(fallback, lookup(name));
  for (const [name, fallback] of Object.entries(OPTIONAL_RATE_LIMITS)) {
    const given = lookup(name);
    if (given !== undefined) out[name] = merge(fallback, given);
  }
  return out;
}

const PYTHON_LEVELS: Record<string, LogLevel> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  WARN: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
  FATAL: 'fatal',
};

/**
 * Precedence: HEARTH_LOG_LEVEL from the environment, then our `log_level`, then the root level of a Synapse
 * `log_config` (a Python logging YAML whose handlers we cannot honour), then info.
 */
function resolveLogLevel(r: Raw, opts: BuildOptions, path: (p: string) => string, warnings: string[]): LogLevel {
  const fromEnv = opts.env.HEARTH_LOG_LEVEL;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!(LOG_LEVELS as readonly string[]).includes(fromEnv)) {
      throw new ConfigError(`HEARTH_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got ${describeValue(fromEnv)})`);
    }
    return fromEnv as LogLevel;
  }
  const logConfig = optStr(r.log_config);
  if (typeof r.log_level === 'string') {
    if (logConfig) warnings.push(`log_config is ignored because log_level is set`);
    return r.log_level as LogLevel;
  }
  if (!logConfig) return 'info';
  const file = path(logConfig);
  try {
    const parsed = obj(parseYaml(readFileSync(file, 'utf8')));
    const level = obj(parsed.root).level;
    const mapped = typeof level === 'string' ? PYTHON_LEVELS[level.toUpperCase()] : undefined;
    if (!mapped) throw new Error('it names no root logging level');
    warnings.push(`log_config ${file}: only its root level (${mapped}) is used; logs are JSON lines on stdout`);
    return mapped;
  } catch (e) {
    warnings.push(`log_config ${file} is ignored (${(e as Error).message}); logging at info`);
    return 'info';
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
