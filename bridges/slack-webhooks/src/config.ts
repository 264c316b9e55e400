import { loadYamlConfig, type DatabaseConfig, type JsonSchema, type LogLevel } from '../../_shared/src/index.js';

// The bridge's config file (config.sample.yaml documents every field). Loaded and validated once at start.

export interface StaticLinkConfig {
  room_id: string;
  /** Slack incoming-webhook URL: where Matrix messages are posted. */
  webhook_url?: string;
  /** Slack outgoing-webhook token: authenticates Slack's posts for this channel. */
  outgoing_token?: string;
  team_id?: string;
  channel_id?: string;
}

export interface SlackBridgeConfig {
  homeserver: { url: string; domain: string };
  /** Where the homeserver reaches the bridge (application service transactions). Keep it on loopback. */
  appservice: { port: number; bind_address: string; url?: string };
  /** Slack callbacks, inbound webhooks and media links: reachable from the internet through `url`. */
  public: { port: number; bind_address: string; url: string };
  database: DatabaseConfig;
  slack: {
    /** Signing secret of the Slack app (Events API request signatures). */
    signing_secret?: string;
    /** Bot token (xoxb-...) for Slack Web API look-ups such as user names. */
    bot_token?: string;
    /** Let incoming-webhook URLs point at private/loopback addresses. Only for tests and closed networks. */
    allow_private_webhook_targets: boolean;
    /** Bounded retries of a post that got 429 or 5xx. */
    max_retries: number;
    /** Upper bound of one wait between retries, even when Retry-After asks for more. */
    max_retry_delay_ms: number;
  };
  /** Rooms linked by the operator (in addition to those linked with `!slack link`). */
  links: StaticLinkConfig[];
  logging: { level: LogLevel };
}

const str = { type: 'string', minLength: 1 };
const port = { type: 'integer', minimum: 0, maximum: 65535 };

export const CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['homeserver', 'appservice', 'public', 'database'],
  properties: {
    homeserver: {
      type: 'object',
      additionalProperties: false,
      required: ['url', 'domain'],
      properties: { url: { type: 'string', pattern: '^https?://' }, domain: str },
    },
    appservice: {
      type: 'object',
      additionalProperties: false,
      required: ['port'],
      properties: { port, bind_address: { ...str, default: '127.0.0.1' }, url: { type: 'string', pattern: '^https?://' } },
    },
    public: {
      type: 'object',
      additionalProperties: false,
      required: ['port', 'url'],
      properties: { port, bind_address: { ...str, default: '0.0.0.0' }, url: { type: 'string', pattern: '^https?://' } },
    },
    database: {
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['engine', 'filename'],
          properties: { engine: { const: 'sqlite' }, filename: str },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['engine', 'connection_string'],
          properties: { engine: { const: 'postgres' }, connection_string: { type: 'string', pattern: '^postgres(ql)?://' } },
        },
      ],
    },
    slack: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        signing_secret: str,
        bot_token: str,
        allow_private_webhook_targets: { type: 'boolean', default: false },
        max_retries: { type: 'integer', minimum: 0, maximum: 20, default: 5 },
        max_retry_delay_ms: { type: 'integer', minimum: 0, default: 60000 },
      },
    },
    links: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['room_id'],
        properties: {
          room_id: { type: 'string', pattern: '^!.+:.+$' },
          webhook_url: { type: 'string', pattern: '^https?://' },
          outgoing_token: str,
          team_id: str,
          channel_id: str,
        },
      },
    },
    logging: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' } },
    },
  },
};

export function loadConfig(path: string): SlackBridgeConfig {
  const config = loadYamlConfig<SlackBridgeConfig>(path, CONFIG_SCHEMA);
  config.public.url = config.public.url.replace(/\/+$/, '');
  config.homeserver.url = config.homeserver.url.replace(/\/+$/, '');
  return config;
}

/** The URL the homeserver uses to reach the bridge: `appservice.url`, else the bind address and port. */
export function appserviceUrl(config: SlackBridgeConfig): string {
  if (config.appservice.url) return config.appservice.url.replace(/\/+$/, '');
  const host = config.appservice.bind_address === '0.0.0.0' ? '127.0.0.1' : config.appservice.bind_address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.appservice.port}`;
}
