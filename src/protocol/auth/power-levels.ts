import type { RoomVersion } from '../room-versions.js';
import type { RoomEvent, StateKey } from '../../types/pdu.js';
import type { UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import { stateKey } from '../state-key.js';
import { roomCreators } from './creators.js';

// Parsed view of m.room.power_levels with the spec's defaults (client-server API, m.room.power_levels, and
// server-server API, "Definitions").
//
// Room creators in v12 (capability `privilegedCreators`) have an *infinitely high* power level. It is
// represented as `Infinity`: every comparison the rules make (`>=`, `>`, `<`) behaves as the spec intends
// (a creator outranks every finite level and never outranks another creator), and it can never be mistaken
// for a real level because power levels in events are bounded integers. Callers that serialise a level
// (e.g. to clients) must special-case it, since JSON cannot carry Infinity.

export const CREATOR_POWER_LEVEL = Number.POSITIVE_INFINITY;

/** The creator's level while the room has no power-levels event (v1-v11; v12 creators are infinite). */
const CREATOR_DEFAULT_LEVEL = 100;

const STRINGY_INTEGER = /^\s*[+-]?\d+\s*$/;

/**
 * Parses one power-level value as the room version allows:
 * integers always; strings holding an integer unless `integerOnlyPowerLevels` (v10+, "stringy" fragment);
 * finite floats truncated towards zero unless `strictCanonicalJson` (v6+, "floaty" fragment).
 * Returns undefined for anything else.
 */
export function parsePowerLevelValue(version: RoomVersion, value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return value;
    if (!version.strictCanonicalJson && !version.integerOnlyPowerLevels && Number.isFinite(value)) {
      return Math.trunc(value);
    }
    return undefined;
  }
  if (typeof value === 'string' && !version.integerOnlyPowerLevels && STRINGY_INTEGER.test(value)) {
    const n = Number.parseInt(value.trim(), 10);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export interface PowerLevels {
  /** True when built from an m.room.power_levels event, false when every value is a default. */
  readonly fromEvent: boolean;
  readonly usersDefault: number;
  readonly eventsDefault: number;
  readonly stateDefault: number;
  readonly ban: number;
  readonly kick: number;
  readonly redact: number;
  readonly invite: number;
  /** A user's level; `CREATOR_POWER_LEVEL` (Infinity) for v12 room creators. */
  userLevel(userId: UserId): number;
  /** The *required power level* to send an event of `eventType` (state or not). */
  eventLevel(eventType: string, isState: boolean): number;
  /** The level for a `notifications` key such as `room` (default 50). */
  notificationLevel(key: string): number;
  /** The room creators used for the infinite-power rule (empty before v12). */
  readonly privilegedCreators: ReadonlySet<UserId>;
}

function objectOrEmpty(v: unknown): Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * Builds the view from the current power-levels event (if any) and the create event (if any; it names the
 * creators). Unparseable values fall back to the default, which is what the rules see for a missing key.
 */
export function powerLevelsView(
  version: RoomVersion,
  powerLevelsEvent: RoomEvent | undefined,
  createEvent: RoomEvent | undefined,
): PowerLevels {
  const content: JsonObject | undefined = powerLevelsEvent?.pdu.content;
  const fromEvent = content !== undefined;
  const c = objectOrEmpty(content);
  const num = (key: string, dflt: number) => parsePowerLevelValue(version, c[key]) ?? dflt;
  const users = objectOrEmpty(c.users);
  const events = objectOrEmpty(c.events);
  const notifications = objectOrEmpty(c.notifications);

  const creators = createEvent ? roomCreators(version, createEvent) : new Set<UserId>();
  const privileged = version.privilegedCreators ? creators : new Set<UserId>();
  const usersDefault = num('users_default', 0);
  // state_default is 50 when a power-levels event exists without it, but 0 when there is no event at all.
  const stateDefault = num('state_default', fromEvent ? 50 : 0);
  const eventsDefault = num('events_default', 0);

  return {
    fromEvent,
    usersDefault,
    eventsDefault,
    stateDefault,
    ban: num('ban', 50),
    kick: num('kick', 50),
    redact: num('redact', 50),
    invite: num('invite', 0),
    privilegedCreators: privileged,
    userLevel(userId) {
      if (privileged.has(userId)) return CREATOR_POWER_LEVEL;
      if (fromEvent) {
        return Object.hasOwn(users, userId)
          ? (parsePowerLevelValue(version, users[userId]) ?? usersDefault)
          : usersDefault;
      }
      return creators.has(userId) ? CREATOR_DEFAULT_LEVEL : 0;
    },
    eventLevel(eventType, isState) {
      if (Object.hasOwn(events, eventType)) {
        const v = parsePowerLevelValue(version, events[eventType]);
        if (v !== undefined) return v;
      }
      return isState ? stateDefault : eventsDefault;
    },
    notificationLevel(key) {
      const v = Object.hasOwn(notifications, key) ? parsePowerLevelValue(version, notifications[key]) : undefined;
      return v ?? 50;
    },
  };
}

/** The view for a room state map (type\0state_key -> event), e.g. the current state or an event's auth state. */
export function powerLevelsFromState(version: RoomVersion, state: ReadonlyMap<StateKey, RoomEvent>): PowerLevels {
  return powerLevelsView(
    version,
    state.get(stateKey('m.room.power_levels', '')),
    state.get(stateKey('m.room.create', '')),
  );
}
