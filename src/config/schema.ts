import { allRoomVersions } from '../protocol/room-versions.js';
import { bridgesSchema } from './bridges.js';
import { rateLimitGroups } from './rate-limits.js';
import { DURATION_PATTERN, SIZE_PATTERN } from './units.js';

// The JSON schema of the homeserver.yaml keys we read, with Synapse's names and types. Keys absent from it are
// not errors: they are reported once as ignored (see ignored-keys.ts). `x-expected` is our annotation that turns
// a validation failure into an operator-readable "must be ..." (see validate.ts).

export type JsonSchema = { [key: string]: unknown };

const str = { type: 'string' };
const nonEmptyStr = { type: 'string', minLength: 1, 'x-expected': 'a non-empty string' };
const bool = { type: 'boolean' };
const strList = { type: 'array', items: str };
const pathStr = { type: 'string', minLength: 1, 'x-expected': 'a file path' };

const duration = {
  type: ['string', 'integer'],
  pattern: DURATION_PATTERN,
  minimum: 0,
  'x-expected': 'a duration such as "1d", "2h", "30m", "10s" or a number of milliseconds',
};

const size = {
  type: ['string', 'integer'],
  pattern: SIZE_PATTERN,
  minimum: 0,
  'x-expected': 'a size such as "50M", "512K", "1G" or a number of bytes',
};

const port = { type: 'integer', minimum: 0, maximum: 65535, 'x-expected': 'integer between 0 and 65535' };

const serverName = {
  type: 'string',
  pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$',
  'x-expected': 'a server name such as "example.org" or "example.org:8448"',
};

const rateLimit = {
  type: 'object',
  properties: {
    per_second: { type: 'number', minimum: 0 },
    burst_count: { type: 'number', minimum: 0 },
  },
};

const listener = {
  type: 'object',
  required: ['port', 'type'],
  properties: {
    port,
    bind_addresses: { type: 'array', items: nonEmptyStr },
    bind_address: nonEmptyStr,
    type: nonEmptyStr,
    tls: bool,
    x_forwarded: bool,
    resources: {
      type: 'array',
      items: {
        type: 'object',
        required: ['names'],
        properties: { names: { type: 'array', items: nonEmptyStr }, compress: bool },
      },
    },
  },
};

const database = {
  type: 'object',
  required: ['name'],
  properties: {
    name: {
      enum: ['sqlite3', 'psycopg2'],
      'x-expected': 'a supported database engine: "sqlite3" (SQLite) or "psycopg2" (PostgreSQL)',
    },
    args: {
      type: 'object',
      properties: {
        database: nonEmptyStr,
        dbname: nonEmptyStr,
        user: str,
        password: str,
        host: str,
        port: {
          type: ['integer', 'string'],
          pattern: '^[0-9]{1,5}$',
          minimum: 1,
          maximum: 65535,
          'x-expected': 'a port number',
        },
        dsn: { type: 'string', pattern: '^postgres(ql)?://', 'x-expected': 'a postgres:// URL' },
        cp_min: { type: 'integer', minimum: 0 },
        cp_max: { type: 'integer', minimum: 1 },
      },
    },
  },
};

function rateLimitProperties(): Record<string, JsonSchema> {
  const props: Record<string, JsonSchema> = {};
  for (const [top, subs] of rateLimitGroups()) {
    props[`rc_${top}`] =
      subs === null
        ? rateLimit
        : { type: 'object', properties: Object.fromEntries(subs.map((s) => [s, rateLimit])) };
  }
  return props;
}

/** Built on demand (not at import) because the room-version list comes from the capability table. */
export function buildConfigSchema(): JsonSchema {
  const versions = allRoomVersions().map((v) => v.id);
  return {
    type: 'object',
    required: ['server_name'],
    properties: {
      server_name: serverName,
      public_baseurl: { type: 'string', pattern: '^https?://[^/]+', 'x-expected': 'an http(s) URL' },
      listeners: { type: 'array', items: listener },
      tls_certificate_path: pathStr,
      tls_private_key_path: pathStr,
      database,
      signing_key_path: pathStr,
      old_signing_keys: {
        type: ['object', 'null'],
        propertyNames: { pattern: '^ed25519:[A-Za-z0-9_]+$', 'x-expected': 'a key id such as "ed25519:a_AbCd"' },
        additionalProperties: {
          type: 'object',
          required: ['key', 'expired_ts'],
          properties: { key: nonEmptyStr, expired_ts: { type: 'integer', minimum: 0 } },
        },
      },
      key_refresh_interval: duration,
      state_group_gc_interval: duration,
      registration_shared_secret: { type: ['string', 'null'] },
      registration_shared_secret_path: pathStr,
      enable_registration: bool,
      registration_requires_token: bool,
      app_service_config_files: { type: ['array', 'null'], items: pathStr },
      bridges: bridgesSchema,
      redis: {
        type: 'object',
        properties: {
          enabled: bool,
          host: nonEmptyStr,
          port,
          password: { type: ['string', 'null'] },
          dbid: { type: 'integer', minimum: 0 },
        },
      },
      media_store_path: pathStr,
      max_upload_size: size,
      max_image_pixels: size,
      dynamic_thumbnails: bool,
      thumbnail_sizes: {
        type: 'array',
        items: {
          type: 'object',
          required: ['width', 'height'],
          properties: {
            width: { type: 'integer', minimum: 1, maximum: 10000 },
            height: { type: 'integer', minimum: 1, maximum: 10000 },
            method: { enum: ['crop', 'scale'], 'x-expected': '"crop" or "scale"' },
          },
        },
      },
      enable_authenticated_media: bool,
      unauthenticated_media_freeze_date: {
        type: ['string', 'integer'],
        minimum: 0,
        'x-expected': 'an ISO 8601 date-time or a number of milliseconds since the epoch',
      },
      max_pending_media_uploads: { type: 'integer', minimum: 1 },
      unused_expiration_time: duration,
      url_preview_enabled: bool,
      url_preview_ip_range_blacklist: strList,
      url_preview_ip_range_whitelist: strList,
      url_preview_url_blacklist: { type: 'array', items: { type: 'object', additionalProperties: str } },
      max_spider_size: size,
      max_request_body_size: size,
      oidc_providers: {
        type: ['array', 'null'],
        items: {
          type: 'object',
          required: ['issuer', 'client_id'],
          properties: { idp_id: nonEmptyStr, idp_name: str, issuer: nonEmptyStr, client_id: nonEmptyStr },
          // Passed through whole to the SSO code, which knows the rest of the provider's keys.
          additionalProperties: true,
        },
      },
      federation_domain_whitelist: { type: ['array', 'null'], items: nonEmptyStr },
      ip_range_blacklist: strList,
      ip_range_blocklist: strList,
      ip_range_whitelist: strList,
      ip_range_allowlist: strList,
      trusted_key_servers: {
        type: ['array', 'null'],
        items: {
          type: 'object',
          required: ['server_name'],
          properties: {
            server_name: serverName,
            verify_keys: { type: 'object', additionalProperties: nonEmptyStr },
          },
        },
      },
      ...rateLimitProperties(),
      rc_federation: {
        type: 'object',
        properties: Object.fromEntries(
          ['window_size', 'sleep_limit', 'sleep_delay', 'reject_limit', 'concurrent'].map((k) => [k, { type: 'integer', minimum: 0 }]),
        ),
      },
      default_room_version: {
        enum: [...versions, ...versions.map(Number)],
        'x-expected': `a room version we support (${versions.join(', ')})`,
      },
      serve_server_wellknown: bool,
      extra_well_known_client_content: { type: 'object', additionalProperties: true },
      log_config: pathStr,
      log_level: {
        enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
        'x-expected': 'one of trace, debug, info, warn, error, fatal',
      },
      federation_verify_certificates: bool,
      federation_custom_ca_list: { type: 'array', items: pathStr },
      federation_partial_state_joins: bool,
      report_stats: bool,
      allow_query_string_access_tokens: bool,
      bcrypt_rounds: { type: 'integer', minimum: 4, maximum: 31, 'x-expected': 'an integer between 4 and 31' },
      password_config: { type: 'object', properties: { enabled: { type: ['boolean', 'string'] }, pepper: str } },
      refreshable_access_token_lifetime: { type: ['string', 'integer', 'null'], pattern: DURATION_PATTERN, minimum: 0 },
      refresh_token_lifetime: { type: ['string', 'integer', 'null'], pattern: DURATION_PATTERN, minimum: 0 },
      allow_guest_access: bool,
      turn_uris: strList,
      turn_shared_secret: { type: ['string', 'null'] },
      turn_username: { type: ['string', 'null'] },
      turn_password: { type: ['string', 'null'] },
      turn_user_lifetime: duration,
      turn_allow_guests: bool,
      user_directory: { type: 'object', properties: { enabled: bool, search_all_users: bool, prefer_local_users: bool } },
      server_notices: {
        type: 'object',
        properties: { system_mxid_localpart: str, system_mxid_display_name: str, system_mxid_avatar_url: str, room_name: str },
      },
      federation_test_overrides: {
        type: 'object',
        additionalProperties: { type: 'string', pattern: '^(https?://)?([^:/\\[\\]]+|\\[[0-9A-Fa-f:.]+\\]):[0-9]+$', 'x-expected': '"host:port" (plain HTTP) or "https://host:port"' },
      },
    },
  };
}
