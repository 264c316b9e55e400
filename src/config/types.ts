// The typed, frozen configuration every service receives. Only src/config reads homeserver.yaml and
// process.env; everything else gets this object passed in.

export interface ListenerResource {
  names: string[]; // 'client', 'federation', 'keys', 'media', 'health', 'metrics', ...
  compress: boolean;
}

export interface ListenerConfig {
  port: number;
  bindAddresses: string[];
  type: 'http';
  tls: boolean;
  tlsCertificatePath: string | null;
  tlsPrivateKeyPath: string | null;
  /** Trust X-Forwarded-For / X-Forwarded-Proto from a reverse proxy. */
  xForwarded: boolean;
  resources: ListenerResource[];
}

export type DatabaseConfig =
  | { engine: 'sqlite'; path: string }
  | {
      engine: 'postgres';
      host: string | null;
      port: number | null;
      user: string | null;
      password: string | null;
      database: string | null;
      /** A full connection URL takes precedence over the separate fields when given. */
      connectionString: string | null;
      poolMin: number;
      poolMax: number;
    };

export interface RateLimitConfig {
  perSecond: number;
  burstCount: number;
}

export interface TrustedKeyServer {
  serverName: string;
  verifyKeys: Record<string, string> | null;
}

export interface RedisConfig {
  enabled: boolean;
  host: string;
  port: number;
  password: string | null;
  dbid: number;
}

/** One entry of Synapse's `thumbnail_sizes`. */
export interface ThumbnailSizeConfig {
  width: number;
  height: number;
  method: 'crop' | 'scale';
}

/** One entry of the `bridges:` section: an in-repo bridge `hearth start` runs as a supervised child process. */
export interface BridgeProcessConfig {
  name: string;
  enabled: boolean;
  /** The bridge's own config file, passed as `start --config`. */
  configPath: string;
  /** Its registration file, loaded by the core and passed as `--file`; null when it lives in registrations/. */
  registrationPath: string | null;
  /** The bridge's built entry; null: `dist/bridges/<name>/src/main.js` of this installation. */
  entryPath: string | null;
}

export interface Config {
  /** Absolute path of the config file this came from (null when built in code, e.g. tests). */
  configPath: string | null;
  serverName: string;
  /** Always ends with '/'. */
  publicBaseUrl: string;
  listeners: ListenerConfig[];
  database: DatabaseConfig;
  signingKeyPath: string;
  /** Old keys we no longer sign with: key id -> {key: base64 public key, expiredTs}. */
  oldSigningKeys: Record<string, { key: string; expiredTs: number }>;
  /** How long our published server keys stay valid (Synapse's key_refresh_interval). */
  keyRefreshIntervalMs: number;
  /**
   * How often unreferenced state groups are garbage-collected (state_group_gc_interval; 0 turns it off).
   * Optional so configs built in code need not spell it out; src/rooms defaults it to an hour.
   */
  stateGroupGcIntervalMs?: number;
  registrationSharedSecret: string | null;
  enableRegistration: boolean;
  registrationRequiresToken: boolean;
  appServiceConfigFiles: string[];
  /** In-repo bridges run as child processes by `hearth start` (optional so configs built in code may omit it). */
  bridges?: BridgeProcessConfig[];
  redis: RedisConfig;
  mediaStorePath: string;
  maxUploadSize: number;
  // Media repository keys (Synapse's names). Optional so configs built in code need not spell them out;
  // src/media fills in Synapse's defaults for whichever are missing.
  /** Largest image (width x height) we decode for thumbnails; Synapse's max_image_pixels (32M). */
  maxImagePixels?: number;
  thumbnailSizes?: ThumbnailSizeConfig[];
  /** Thumbnail at exactly the requested size instead of the nearest configured one. */
  dynamicThumbnails?: boolean;
  /** Synapse's enable_authenticated_media (default true): new media is served only on authenticated endpoints. */
  enableAuthenticatedMedia?: boolean;
  /** Ms since the epoch; uploads before it stay reachable unauthenticated even with enableAuthenticatedMedia. */
  unauthenticatedMediaFreezeTs?: number | null;
  /** Synapse's max_pending_media_uploads (5) and unused_expiration_time (24h) for /media/v1/create. */
  maxPendingMediaUploads?: number;
  unusedMediaExpirationMs?: number;
  urlPreviewEnabled?: boolean;
  /** CIDR ranges URL previews must never connect to (checked after DNS and on every redirect). */
  urlPreviewIpRangeBlacklist?: string[];
  urlPreviewIpRangeWhitelist?: string[];
  /** Synapse's url_preview_url_blacklist: each entry maps URL components to a glob, or a regex starting with ^. */
  urlPreviewUrlBlacklist?: Array<Record<string, string>>;
  /** Largest body a URL preview downloads (Synapse's max_spider_size, 10M). */
  maxSpiderSize?: number;
  /** Largest accepted JSON request body in bytes. */
  maxRequestBodySize: number;
  oidcProviders: ReadonlyArray<Record<string, unknown>>;
  federationDomainWhitelist: string[] | null;
  ipRangeBlacklist: string[];
  ipRangeWhitelist: string[];
  trustedKeyServers: TrustedKeyServer[];
  /** Synapse's rc_* keys by name without the prefix, e.g. 'message', 'login.address'. */
  rateLimits: Record<string, RateLimitConfig>;
  /** Synapse's rc_federation (inbound federation requests per origin); absent: Synapse's defaults. */
  federationRateLimit?: {
    windowSizeMs: number;
    sleepLimit: number;
    sleepDelayMs: number;
    rejectLimit: number;
    concurrent: number;
  };
  defaultRoomVersion: string;
  serveServerWellknown: boolean;
  /** For the client well-known document, when set. */
  clientWellKnown: Record<string, unknown> | null;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  /** Whether access tokens are accepted in the query string (deprecated by the spec). */
  allowQueryStringAccessTokens: boolean;
  /** Test-only: server name -> 'host:port' used instead of discovery. */
  federationTestOverrides: Record<string, string>;
  federationVerifyCertificates: boolean;
  /** PEM files of extra certificate authorities trusted for outbound federation TLS (Synapse's federation_custom_ca_list). */
  federationCustomCaList?: readonly string[];
  /**
   * Joins of remote rooms ask for the state without members (send_join omit_members, MSC3706) and
   * resynchronise the rest in the background (default true; Synapse's faster joins). Optional so configs
   * built in code may omit it.
   */
  partialStateJoins?: boolean;
  /** Synapse's report_stats; we collect nothing, it is kept so generated and migrated configs round-trip. */
  reportStats?: boolean;
  // Accounts. Optional so configs built in code (tests) may omit them; buildConfig always fills them.
  /** bcrypt cost for new password hashes (Synapse's bcrypt_rounds; default 12). */
  bcryptRounds?: number;
  /** Synapse's password_config.pepper, appended to passwords before hashing. */
  passwordPepper?: string | null;
  /** Synapse's password_config.enabled: whether m.login.password works at all (default true). */
  passwordLoginEnabled?: boolean;
  /** Lifetime of access tokens that come with a refresh token (refreshable_access_token_lifetime); null: no expiry. */
  refreshableAccessTokenLifetimeMs?: number | null;
  /** Lifetime of refresh tokens (refresh_token_lifetime); null: no expiry. */
  refreshTokenLifetimeMs?: number | null;
  /** Synapse's allow_guest_access (default false). */
  allowGuestAccess?: boolean;
  // TURN (Synapse's turn_* keys) for /voip/turnServer.
  turnUris?: readonly string[];
  turnSharedSecret?: string | null;
  turnUsername?: string | null;
  turnPassword?: string | null;
  turnUserLifetimeMs?: number;
  turnAllowGuests?: boolean;
  /** Synapse's user_directory.search_all_users: the directory finds every local user, not only those sharing a room. */
  userDirectorySearchAllUsers?: boolean;
  /** Synapse's server_notices section; no localpart means server notices are off. */
  serverNoticesMxidLocalpart?: string;
  serverNoticesMxidDisplayName?: string;
  serverNoticesRoomName?: string;
}
