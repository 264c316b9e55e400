import { encodeBase64, encodeBase64Url } from '../crypto/base64.js';
import { referenceHash } from '../crypto/hashes.js';
import type { EventId, RoomId } from '../types/ids.js';
import { redactEvent } from './redaction.js';
import { findRoomVersion, type RoomVersion } from './room-versions.js';

// Event ids: v1/v2 carry an opaque `$id:domain` in the event itself; v3 is `$` + the standard unpadded
// base64 reference hash; v4+ the URL-safe form. v12 room ids are the create event's id with `!`.

type EventJson = Readonly<Record<string, unknown>>;

/**
 * SHA-256 reference hash of an event (server-server API, "Calculating the reference hash"): redact by
 * the room version's rules, drop signatures and unsigned, hash the canonical JSON.
 */
export function computeReferenceHash(version: RoomVersion, event: EventJson): Buffer {
  return referenceHash(redactEvent(version, event), { strict: version.strictCanonicalJson });
}

/**
 * The event id of an event in a room of `version`. Throws when a v1/v2 event carries no usable
 * `event_id`, or when the event cannot be encoded as canonical JSON for hashing.
 */
export function computeEventId(version: RoomVersion, event: EventJson): EventId {
  switch (version.eventIdFormat) {
    case 'v1': {
      const id = event.event_id;
      if (typeof id !== 'string' || !id.startsWith('$')) {
        throw new Error(`room version ${version.id} events must carry an event_id`);
      }
      return id;
    }
    case 'v3':
    case 'v4':
      return eventIdFromReferenceHash(version, computeReferenceHash(version, event));
  }
}

/** The event id of a room version with hash-based ids (v3+), from the event's reference hash. */
export function eventIdFromReferenceHash(version: RoomVersion, hash: Uint8Array): EventId {
  if (version.eventIdFormat === 'v1') throw new Error(`room version ${version.id} has no hash-based event ids`);
  return `$${version.eventIdFormat === 'v3' ? encodeBase64(hash) : encodeBase64Url(hash)}`;
}

/**
 * The room id a create event defines, for room versions whose room id derives from the create event
 * (v12). The version comes from `content.room_version` unless given; the spec's default for a missing
 * value is "1", which has domain-based room ids, so such events are refused.
 */
export function roomIdForCreateEvent(event: EventJson, version?: RoomVersion): RoomId {
  if (event.type !== 'm.room.create') throw new Error('not an m.room.create event');
  let v = version;
  if (!v) {
    const content = event.content;
    const declared =
      typeof content === 'object' && content !== null && !Array.isArray(content)
        ? (content as Record<string, unknown>).room_version
        : undefined;
    const id = typeof declared === 'string' ? declared : '1';
    v = findRoomVersion(id);
    if (!v) throw new Error(`unsupported room version ${id}`);
  }
  if (!v.roomIdFromCreateEvent) throw new Error(`room version ${v.id} does not derive room ids from the create event`);
  return '!' + computeEventId(v, event).slice(1);
}
