// The one table of room-version capabilities. Nothing else in the code base branches on a version
// number: code asks the record for a capability (see ARCHITECTURE.md, Habits).

export type EventIdFormat = 'v1' | 'v3' | 'v4';
export type RedactionRules = 'v1' | 'v6' | 'v8' | 'v9' | 'v11';
export type StateResAlgorithm = 'v1' | 'v2' | 'v2.1';

export interface RoomVersion {
  readonly id: string;
  readonly stable: boolean;
  /** v1: `$opaque:server` ids carried in the event; v3: standard base64 reference hash; v4+: URL-safe. */
  readonly eventIdFormat: EventIdFormat;
  /** prev_events / auth_events hold `[eventId, hashes]` pairs (v1-v2) instead of bare ids. */
  readonly eventRefsArePairs: boolean;
  /** v12: the room id is `!` + the create event's reference hash; create events carry no room_id. */
  readonly roomIdFromCreateEvent: boolean;
  readonly stateRes: StateResAlgorithm;
  readonly redaction: RedactionRules;
  /** v1-v2: m.room.redaction has its own auth rule (redacter's domain or redact power). */
  readonly redactionAuthRule: boolean;
  /** v1-v5: m.room.aliases has special auth rules (state_key must be the sender's domain). */
  readonly specialCaseAliasesAuth: boolean;
  /** v6+: the `notifications` key of power levels is checked by the power-level auth rule. */
  readonly notificationsPowerLevelAuth: boolean;
  /** v5+: a signing key must be valid (valid_until_ts) at the event's origin_server_ts. */
  readonly enforceKeyValidity: boolean;
  /** v6+: events must be strictly canonical JSON (integers only, within range). */
  readonly strictCanonicalJson: boolean;
  /** v7+: `knock` membership and join rule. */
  readonly knocking: boolean;
  /** v8+: `restricted` join rule with `join_authorised_via_users_server`. */
  readonly restrictedJoins: boolean;
  /** v10+: `knock_restricted` join rule. */
  readonly knockRestricted: boolean;
  /** v10+: power-level values must be integers, never strings. */
  readonly integerOnlyPowerLevels: boolean;
  /** v11+: the creator is the create event's sender; content.creator is not required nor used. */
  readonly implicitCreator: boolean;
  /** v11+: a redaction's target is `content.redacts` (the top-level key remains for older clients). */
  readonly redactsInContent: boolean;
  /** v12: creators (sender + additional_creators) have infinite power and are not listed in power levels. */
  readonly privilegedCreators: boolean;
  /** v12: the create event is implied by the room id and must not be listed in auth_events. */
  readonly createEventNotInAuthEvents: boolean;
}

const base = {
  stable: true,
  eventIdFormat: 'v4',
  eventRefsArePairs: false,
  roomIdFromCreateEvent: false,
  stateRes: 'v2',
  redaction: 'v1',
  redactionAuthRule: false,
  specialCaseAliasesAuth: false,
  notificationsPowerLevelAuth: true,
  enforceKeyValidity: true,
  strictCanonicalJson: true,
  knocking: false,
  restrictedJoins: false,
  knockRestricted: false,
  integerOnlyPowerLevels: false,
  implicitCreator: false,
  redactsInContent: false,
  privilegedCreators: false,
  createEventNotInAuthEvents: false,
} as const satisfies Omit<RoomVersion, 'id'>;

const v1: RoomVersion = {
  ...base,
  id: '1',
  eventIdFormat: 'v1',
  eventRefsArePairs: true,
  stateRes: 'v1',
  redactionAuthRule: true,
  specialCaseAliasesAuth: true,
  notificationsPowerLevelAuth: false,
  enforceKeyValidity: false,
  strictCanonicalJson: false,
};
const v2: RoomVersion = { ...v1, id: '2', stateRes: 'v2' };
const v3: RoomVersion = { ...v2, id: '3', eventIdFormat: 'v3', eventRefsArePairs: false, redactionAuthRule: false };
const v4: RoomVersion = { ...v3, id: '4', eventIdFormat: 'v4' };
const v5: RoomVersion = { ...v4, id: '5', enforceKeyValidity: true };
const v6: RoomVersion = {
  ...v5,
  id: '6',
  redaction: 'v6',
  specialCaseAliasesAuth: false,
  notificationsPowerLevelAuth: true,
  strictCanonicalJson: true,
};
const v7: RoomVersion = { ...v6, id: '7', knocking: true };
const v8: RoomVersion = { ...v7, id: '8', redaction: 'v8', restrictedJoins: true };
const v9: RoomVersion = { ...v8, id: '9', redaction: 'v9' };
const v10: RoomVersion = { ...v9, id: '10', knockRestricted: true, integerOnlyPowerLevels: true };
const v11: RoomVersion = { ...v10, id: '11', redaction: 'v11', implicitCreator: true, redactsInContent: true };
const v12: RoomVersion = {
  ...v11,
  id: '12',
  roomIdFromCreateEvent: true,
  stateRes: 'v2.1',
  privilegedCreators: true,
  createEventNotInAuthEvents: true,
};

const ALL: readonly RoomVersion[] = [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12].map((v) => Object.freeze(v));
const BY_ID = new Map(ALL.map((v) => [v.id, v]));

export const DEFAULT_ROOM_VERSION = '12';

/** Every room version we support, in ascending order. */
export function allRoomVersions(): readonly RoomVersion[] {
  return ALL;
}

/** The capability record for a version id, or undefined when we do not support it. */
export function findRoomVersion(id: string): RoomVersion | undefined {
  return BY_ID.get(id);
}

/** Like findRoomVersion but throws for unknown versions (callers that already validated the id). */
export function roomVersion(id: string): RoomVersion {
  const v = BY_ID.get(id);
  if (!v) throw new Error(`unsupported room version ${id}`);
  return v;
}
