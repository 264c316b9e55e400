import type { JsonObject } from '../types/json.js';
import type { Pdu } from '../types/pdu.js';
import type { RedactionRules, RoomVersion } from './room-versions.js';

// The redaction algorithms of the room versions (rooms/v1, v6, v8, v9, v11). Redaction serves three
// callers with one function: serving redacted events to clients, computing reference hashes (event ids),
// and signing / verifying events (signatures cover the redacted form). Each rule set is data, so the
// variants can be compared line by line with the spec.

interface RuleSet {
  /** Top-level keys that survive redaction. */
  readonly topLevel: ReadonlySet<string>;
  /** Event type -> content keys kept; `'all'` keeps the whole content. */
  readonly content: Readonly<Record<string, readonly string[] | 'all'>>;
  /** v11: `m.room.member` keeps `third_party_invite.signed` (and nothing else of third_party_invite). */
  readonly keepThirdPartyInviteSigned: boolean;
}

const TOP_LEVEL_V1 = new Set([
  'event_id',
  'type',
  'room_id',
  'sender',
  'state_key',
  'content',
  'hashes',
  'signatures',
  'depth',
  'prev_events',
  'prev_state',
  'auth_events',
  'origin',
  'origin_server_ts',
  'membership',
]);

// v11 stopped protecting origin, membership and prev_state.
const TOP_LEVEL_V11 = new Set([...TOP_LEVEL_V1].filter((k) => k !== 'origin' && k !== 'membership' && k !== 'prev_state'));

const POWER_LEVELS_V1 = ['ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default'];

const CONTENT_V6: RuleSet['content'] = {
  'm.room.member': ['membership'],
  'm.room.create': ['creator'],
  'm.room.join_rules': ['join_rule'],
  'm.room.power_levels': POWER_LEVELS_V1,
  'm.room.history_visibility': ['history_visibility'],
};

const RULES: Readonly<Record<RedactionRules, RuleSet>> = {
  v1: {
    topLevel: TOP_LEVEL_V1,
    content: { ...CONTENT_V6, 'm.room.aliases': ['aliases'] },
    keepThirdPartyInviteSigned: false,
  },
  // v6 no longer protects m.room.aliases.
  v6: { topLevel: TOP_LEVEL_V1, content: CONTENT_V6, keepThirdPartyInviteSigned: false },
  v8: {
    topLevel: TOP_LEVEL_V1,
    content: { ...CONTENT_V6, 'm.room.join_rules': ['join_rule', 'allow'] },
    keepThirdPartyInviteSigned: false,
  },
  v9: {
    topLevel: TOP_LEVEL_V1,
    content: {
      ...CONTENT_V6,
      'm.room.member': ['membership', 'join_authorised_via_users_server'],
      'm.room.join_rules': ['join_rule', 'allow'],
    },
    keepThirdPartyInviteSigned: false,
  },
  v11: {
    topLevel: TOP_LEVEL_V11,
    content: {
      'm.room.member': ['membership', 'join_authorised_via_users_server'],
      'm.room.create': 'all',
      'm.room.join_rules': ['join_rule', 'allow'],
      'm.room.power_levels': [...POWER_LEVELS_V1, 'invite'],
      'm.room.history_visibility': ['history_visibility'],
      'm.room.redaction': ['redacts'],
    },
    keepThirdPartyInviteSigned: true,
  },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function redactContent(rules: RuleSet, type: unknown, content: unknown): JsonObject {
  if (!isObject(content)) return {};
  const kept = typeof type === 'string' && Object.hasOwn(rules.content, type) ? rules.content[type] : undefined;
  if (kept === 'all') return { ...(content as JsonObject) };
  const out: JsonObject = {};
  for (const key of kept ?? []) {
    if (Object.hasOwn(content, key)) out[key] = content[key] as JsonObject[string];
  }
  if (rules.keepThirdPartyInviteSigned && type === 'm.room.member') {
    const tpi = content.third_party_invite;
    if (isObject(tpi) && Object.hasOwn(tpi, 'signed')) {
      out.third_party_invite = { signed: tpi.signed as JsonObject[string] };
    }
  }
  return out;
}

export interface RedactOptions {
  /**
   * Keep the `unsigned` object untouched. The algorithm strips it (hashing and signing need that), but
   * events served to clients keep server-added data such as `age` and `redacted_because`.
   */
  keepUnsigned?: boolean;
}

/**
 * Strips an event down to the keys the room version's redaction algorithm protects. Returns a new
 * top-level object and a new `content`; values kept inside them are shared with the input, not copied.
 */
export function redactEvent(version: RoomVersion, event: Pdu, opts?: RedactOptions): Pdu;
export function redactEvent(
  version: RoomVersion,
  event: Readonly<Record<string, unknown>>,
  opts?: RedactOptions,
): Record<string, unknown>;
export function redactEvent(
  version: RoomVersion,
  event: Readonly<Record<string, unknown>>,
  opts: RedactOptions = {},
): Record<string, unknown> {
  const rules = RULES[version.redaction];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(event)) {
    if (rules.topLevel.has(key) && key !== 'content') out[key] = event[key];
  }
  // content is always present after redaction, even when the original lacked it or was malformed.
  out.content = redactContent(rules, event.type, event.content);
  if (opts.keepUnsigned && event.unsigned !== undefined) out.unsigned = event.unsigned;
  return out;
}

/** The content keys a rule set keeps for an event type (for tests and for clients that redact locally). */
export function protectedContentKeys(version: RoomVersion, type: string): readonly string[] | 'all' {
  const rules = RULES[version.redaction];
  return Object.hasOwn(rules.content, type) ? (rules.content[type] ?? []) : [];
}
