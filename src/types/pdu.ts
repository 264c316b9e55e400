import type { JsonObject } from './json.js';
import type { EventId, RoomId, UserId } from './ids.js';

/** Signatures: server name -> key id -> unpadded base64 signature. */
export type Signatures = Record<string, Record<string, string>>;

/**
 * A persistent data unit as it travels over federation, for any room version.
 * Versions 1-2 carry `event_id` and `[eventId, hashes]` pairs in prev_events / auth_events;
 * versions 3+ carry bare event ids and derive the id from the reference hash.
 * Version 12 create events carry no `room_id` (the room id derives from the event id).
 */
export interface Pdu {
  event_id?: EventId;
  room_id?: RoomId;
  sender: UserId;
  origin?: string;
  origin_server_ts: number;
  type: string;
  state_key?: string;
  content: JsonObject;
  prev_events: Array<EventId | [EventId, Record<string, string>]>;
  auth_events: Array<EventId | [EventId, Record<string, string>]>;
  depth: number;
  hashes: { sha256: string; [alg: string]: string };
  signatures: Signatures;
  redacts?: EventId;
  unsigned?: JsonObject;
  [extra: string]: unknown;
}

/** A PDU together with its computed event id (which versions 3+ do not carry in the JSON). */
export interface RoomEvent {
  eventId: EventId;
  pdu: Pdu;
}

/** The key of a state entry: `${type}\u0000${state_key}` (see protocol/state-key.ts). */
export type StateKey = string;
