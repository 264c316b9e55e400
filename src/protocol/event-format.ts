import { canonicalJsonLength, canonicalJsonViolation } from '../crypto/canonical-json.js';
import type { Pdu } from '../types/pdu.js';
import {
  byteLength,
  isValidEventId,
  isValidRoomId,
  isValidUserId,
  MAX_ID_BYTES,
  MAX_STATE_KEY_BYTES,
  MAX_TYPE_BYTES,
} from './identifiers.js';
import type { RoomVersion } from './room-versions.js';

// Format checks for PDUs from untrusted peers (server-server API, "Checks performed on receipt of a
// PDU", step 1: an event that does not match its room version's format is dropped). Signatures, hashes
// and auth rules come later; this only makes sure the rest of the pipeline can trust the shape.

/** Whole event, as canonical JSON with signatures (client-server API, "Size limits"). */
export const MAX_PDU_BYTES = 65536;
export const MAX_PREV_EVENTS = 20;
export const MAX_AUTH_EVENTS = 10;
/** Versions 1-5 allow depth up to 2^63-1; JS numbers cannot hold that exactly, so this is the nearest double. */
const MAX_DEPTH_LEGACY = 2 ** 63 - 1;

export type PduValidation = { ok: true; pdu: Pdu } | { ok: false; reason: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class FormatError extends Error {}

function fail(reason: string): never {
  throw new FormatError(reason);
}

function requireString(ev: Record<string, unknown>, key: string): string {
  const v = ev[key];
  if (typeof v !== 'string') fail(`${key} must be a string`);
  return v;
}

function requireInteger(ev: Record<string, unknown>, key: string): number {
  const v = ev[key];
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(`${key} must be an integer`);
  return v;
}

function checkEventRefs(version: RoomVersion, ev: Record<string, unknown>, key: string, max: number): void {
  const refs = ev[key];
  if (!Array.isArray(refs)) fail(`${key} must be an array`);
  if (refs.length > max) fail(`${key} holds ${refs.length} entries, more than ${max}`);
  for (const ref of refs) {
    let id: unknown = ref;
    if (version.eventRefsArePairs) {
      // v1/v2: [event_id, {algorithm: hash}] pairs.
      if (!Array.isArray(ref) || ref.length !== 2) fail(`${key} entries must be [event_id, hashes] pairs`);
      const hashes: unknown = ref[1];
      if (!isObject(hashes) || !Object.values(hashes).every((h) => typeof h === 'string')) {
        fail(`${key} entries must carry a hashes object`);
      }
      id = ref[0];
    }
    if (typeof id !== 'string' || !isValidEventId(id, version)) fail(`${key} holds an invalid event id`);
  }
}

function checkSignatures(ev: Record<string, unknown>): void {
  const sigs = ev.signatures;
  if (!isObject(sigs)) fail('signatures must be an object');
  for (const byKey of Object.values(sigs)) {
    if (!isObject(byKey) || !Object.values(byKey).every((s) => typeof s === 'string')) {
      fail('signatures must map server names to objects of key id -> signature strings');
    }
  }
}

function checkLimits(ev: Record<string, unknown>): void {
  const sender = ev.sender as string;
  if (byteLength(sender) > MAX_ID_BYTES) fail(`sender exceeds ${MAX_ID_BYTES} bytes`);
  if (typeof ev.room_id === 'string' && byteLength(ev.room_id) > MAX_ID_BYTES) fail(`room_id exceeds ${MAX_ID_BYTES} bytes`);
  if (typeof ev.event_id === 'string' && byteLength(ev.event_id) > MAX_ID_BYTES) {
    fail(`event_id exceeds ${MAX_ID_BYTES} bytes`);
  }
  if (byteLength(ev.type as string) > MAX_TYPE_BYTES) fail(`type exceeds ${MAX_TYPE_BYTES} bytes`);
  if (typeof ev.state_key === 'string' && byteLength(ev.state_key) > MAX_STATE_KEY_BYTES) {
    fail(`state_key exceeds ${MAX_STATE_KEY_BYTES} bytes`);
  }
}

function check(version: RoomVersion, ev: Record<string, unknown>): void {
  const type = requireString(ev, 'type');
  const sender = requireString(ev, 'sender');
  checkLimits(ev);
  // Remote events may still use the historical user id grammar (appendices, "Historical User IDs").
  if (!isValidUserId(sender, 'historical')) fail('sender is not a valid user id');

  const isCreate = type === 'm.room.create';
  if (ev.room_id !== undefined || !(version.roomIdFromCreateEvent && isCreate)) {
    // A v12 create event with a room_id is well formed but rejected by the auth rules, so it is not
    // refused here: rejection is recorded, dropping is silent.
    const roomId = requireString(ev, 'room_id');
    if (!isValidRoomId(roomId, version)) fail('room_id is not a valid room id for this room version');
  }
  if (version.eventIdFormat === 'v1') {
    const eventId = requireString(ev, 'event_id');
    if (!isValidEventId(eventId, version)) fail('event_id is not a valid event id for this room version');
  }

  requireInteger(ev, 'origin_server_ts');
  const depth = requireInteger(ev, 'depth');
  if (depth < 0) fail('depth must not be negative');
  if (depth > (version.strictCanonicalJson ? Number.MAX_SAFE_INTEGER : MAX_DEPTH_LEGACY)) fail('depth is too large');

  if (ev.state_key !== undefined && typeof ev.state_key !== 'string') fail('state_key must be a string');
  if (!isObject(ev.content)) fail('content must be an object');
  if (!isObject(ev.hashes) || typeof ev.hashes.sha256 !== 'string') fail('hashes.sha256 must be a string');
  checkSignatures(ev);
  if (ev.unsigned !== undefined && !isObject(ev.unsigned)) fail('unsigned must be an object');
  if (ev.redacts !== undefined && typeof ev.redacts !== 'string') fail('redacts must be a string');

  checkEventRefs(version, ev, 'prev_events', MAX_PREV_EVENTS);
  checkEventRefs(version, ev, 'auth_events', MAX_AUTH_EVENTS);

  if (version.strictCanonicalJson) {
    // `unsigned` is not covered by hashes or signatures and is rewritten before use, so a float there
    // is no reason to drop an otherwise valid event.
    const { unsigned: _u, ...covered } = ev;
    const violation = canonicalJsonViolation(covered);
    if (violation) fail(`event is not canonical JSON: ${violation}`);
  }
  let size: number;
  try {
    size = canonicalJsonLength(ev);
  } catch (e) {
    fail(`event cannot be encoded as JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (size > MAX_PDU_BYTES) fail(`event is ${size} bytes, more than ${MAX_PDU_BYTES}`);
}

/**
 * Checks untrusted JSON against the PDU format of a room version. On success the same object is
 * returned, typed; nothing is copied or normalised.
 */
export function validatePdu(version: RoomVersion, json: unknown): PduValidation {
  if (!isObject(json)) return { ok: false, reason: 'event must be a JSON object' };
  try {
    check(version, json);
  } catch (e) {
    if (e instanceof FormatError) return { ok: false, reason: e.message };
    throw e;
  }
  return { ok: true, pdu: json as Pdu };
}
