// Plain-object room builder for the auth-rule tests. Events carry no signatures or hashes: the rules under
// test never look at them. Event ids are synthetic; in v1-v2 they carry the sender's domain because the
// v1 redaction rule compares event-id domains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RoomVersion } from '../../../src/protocol/room-versions.js';
import { roomVersion } from '../../../src/protocol/room-versions.js';
import { stateKey } from '../../../src/protocol/state-key.js';
import { checkEventAuth, type AuthResult } from '../../../src/protocol/auth/index.js';
import type { JsonObject } from '../../../src/types/json.js';
import type { Pdu, RoomEvent, StateKey } from '../../../src/types/pdu.js';

export const ALICE = '@alice:a.example';
export const BOB = '@bob:b.example';
export const CAROL = '@carol:c.example';
export const DAVE = '@dave:a.example';

/** One version per family whose auth rules differ. */
export const FAMILY_IDS = ['1', '3', '6', '7', '8', '10', '11', '12'] as const;
export type FamilyId = (typeof FAMILY_IDS)[number];

export interface EventSpec {
  type: string;
  sender: string;
  state_key?: string;
  content?: JsonObject;
  prev_events?: string[];
  room_id?: string | null;
  redacts?: string;
  id?: string;
}

let counter = 0;

export function makeEvent(version: RoomVersion, spec: EventSpec, roomId: string | undefined): RoomEvent {
  counter += 1;
  const domain = spec.sender.slice(spec.sender.indexOf(':') + 1);
  const eventId = spec.id ?? (version.eventIdFormat === 'v1' ? `$e${counter}:${domain}` : `$e${counter}`);
  const pdu: Pdu = {
    sender: spec.sender,
    type: spec.type,
    content: spec.content ?? {},
    origin_server_ts: 1_700_000_000_000 + counter,
    prev_events: spec.prev_events ?? [],
    auth_events: [],
    depth: counter,
    hashes: { sha256: 'unused' },
    signatures: {},
  };
  const rid = spec.room_id === null ? undefined : (spec.room_id ?? roomId);
  if (rid !== undefined) pdu.room_id = rid;
  if (spec.state_key !== undefined) pdu.state_key = spec.state_key;
  if (spec.redacts !== undefined) pdu.redacts = spec.redacts;
  if (version.eventIdFormat === 'v1') pdu.event_id = eventId;
  return { eventId, pdu };
}

export interface CreateOptions {
  creator?: string;
  content?: JsonObject;
  /** Leave content.creator out even where the version needs it. */
  omitCreatorKey?: boolean;
}

/** The create event content a room version expects (creator key before v11, room_version always). */
export function createContent(version: RoomVersion, opts: CreateOptions = {}): JsonObject {
  const creator = opts.creator ?? ALICE;
  const content: JsonObject = { room_version: version.id };
  if (!version.implicitCreator && !opts.omitCreatorKey) content.creator = creator;
  return { ...content, ...(opts.content ?? {}) };
}

export class Room {
  readonly state = new Map<StateKey, RoomEvent>();
  readonly create: RoomEvent;
  readonly roomId: string;
  private last: string;

  constructor(
    readonly version: RoomVersion,
    opts: CreateOptions = {},
  ) {
    const creator = opts.creator ?? ALICE;
    const content = createContent(version, opts);
    if (version.roomIdFromCreateEvent) {
      this.create = makeEvent(version, { type: 'm.room.create', sender: creator, state_key: '', content, room_id: null }, undefined);
      this.roomId = `!${this.create.eventId.slice(1)}`;
    } else {
      this.roomId = '!room:a.example';
      this.create = makeEvent(version, { type: 'm.room.create', sender: creator, state_key: '', content }, this.roomId);
    }
    this.state.set(stateKey('m.room.create', ''), this.create);
    this.last = this.create.eventId;
  }

  /** Builds an event in this room (not added to state), citing the latest state event as its prev event. */
  event(spec: EventSpec): RoomEvent {
    return makeEvent(this.version, { prev_events: [this.last], ...spec }, this.roomId);
  }

  /** Adds a state event to the room state without checking it. */
  put(type: string, key: string, sender: string, content: JsonObject): RoomEvent {
    const ev = this.event({ type, sender, state_key: key, content });
    this.state.set(stateKey(type, key), ev);
    this.last = ev.eventId;
    return ev;
  }

  member(user: string, membership: string, sender = user, extra: JsonObject = {}): RoomEvent {
    return this.put('m.room.member', user, sender, { membership, ...extra });
  }

  powerLevels(content: JsonObject, sender = ALICE): RoomEvent {
    return this.put('m.room.power_levels', '', sender, content);
  }

  joinRules(joinRule: string, extra: JsonObject = {}): RoomEvent {
    return this.put('m.room.join_rules', '', ALICE, { join_rule: joinRule, ...extra });
  }

  check(ev: RoomEvent): AuthResult {
    return checkEventAuth(this.version, ev, this.state);
  }
}

/**
 * A typical room: alice created it and joined, power levels give alice 100 (implicitly in v12, where
 * creators may not be listed) and bob 50, the join rule is invite, bob is joined.
 */
export function standardRoom(version: RoomVersion, opts: CreateOptions = {}): Room {
  const room = new Room(version, opts);
  room.member(ALICE, 'join');
  const users: JsonObject = { [BOB]: 50 };
  if (!version.privilegedCreators) users[ALICE] = 100;
  room.powerLevels({
    users,
    users_default: 0,
    events: { 'm.room.power_levels': 100, 'm.room.name': 50 },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 0,
  });
  room.joinRules('invite');
  room.member(BOB, 'join');
  return room;
}

export function family(id: FamilyId): RoomVersion {
  return roomVersion(id);
}

export const ALL_FAMILIES: readonly FamilyId[] = FAMILY_IDS;

/** Families from `from` on (in FAMILY_IDS order). */
export function since(from: FamilyId): FamilyId[] {
  return FAMILY_IDS.slice(FAMILY_IDS.indexOf(from));
}

/** Families before `to`. */
export function before(to: FamilyId): FamilyId[] {
  return FAMILY_IDS.slice(0, FAMILY_IDS.indexOf(to));
}

export interface AuthCase {
  rule: string;
  families: readonly FamilyId[];
  /** true: must be allowed; a RegExp: must be denied with a matching reason. */
  expect: true | RegExp;
  run: (version: RoomVersion) => AuthResult;
}

export function assertAuth(result: AuthResult, expect: true | RegExp): void {
  if (expect === true) {
    assert.deepEqual(result, { allowed: true }, `expected allow, got ${JSON.stringify(result)}`);
  } else {
    assert.equal(result.allowed, false, 'expected a rejection');
    if (!result.allowed) assert.match(result.reason, expect);
  }
}

/** Registers one node:test case per (case, family). */
export function runCases(cases: readonly AuthCase[]): void {
  for (const c of cases) {
    for (const id of c.families) {
      const verdict = c.expect === true ? 'allows' : 'rejects';
      test(`v${id}: ${verdict} ${c.rule}`, () => assertAuth(c.run(family(id)), c.expect));
    }
  }
}
