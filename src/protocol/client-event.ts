import type { JsonObject } from '../types/json.js';
import type { EventId } from '../types/ids.js';
import type { Pdu } from '../types/pdu.js';
import { redactEvent } from './redaction.js';
import type { RoomVersion } from './room-versions.js';

// The client-server API's ClientEvent shape, built from a stored PDU. Pure: the caller looks up what
// `unsigned` needs (previous state content, the redaction, the transaction id of the requesting device).

export interface ClientEvent {
  event_id: EventId;
  room_id?: string;
  sender: string;
  type: string;
  state_key?: string;
  content: JsonObject;
  origin_server_ts: number;
  redacts?: EventId;
  unsigned?: JsonObject;
}

export interface ClientEventExtras {
  /** Content and sender of the state event this one replaced (state events only). */
  prevContent?: JsonObject;
  prevSender?: string;
  replacesState?: EventId;
  /** The redaction event (already in client format) when this event has been redacted. */
  redactedBecause?: ClientEvent;
  /** Only for the device that sent the event. */
  transactionId?: string;
  /** Milliseconds since the event was received by this server (age). */
  ageMs?: number;
  /** Extra fields of unsigned (e.g. m.relations aggregations, invite_room_state). */
  extraUnsigned?: JsonObject;
}

export interface ClientEventOptions {
  /** Sync omits room_id inside per-room sections. */
  includeRoomId?: boolean;
}

/** Formats a PDU for clients, applying a redaction when `extras.redactedBecause` is given. */
export function toClientEvent(
  version: RoomVersion,
  eventId: EventId,
  pdu: Pdu,
  extras: ClientEventExtras = {},
  opts: ClientEventOptions = {},
): ClientEvent {
  const source: Pdu = extras.redactedBecause ? redactEvent(version, pdu) : pdu;
  const ev: ClientEvent = {
    event_id: eventId,
    sender: pdu.sender,
    type: pdu.type,
    content: source.content ?? {},
    origin_server_ts: pdu.origin_server_ts,
  };
  // A v12 create event carries no room_id: its room id is its own event id with the room sigil.
  const roomId = pdu.room_id ?? (version.roomIdFromCreateEvent && pdu.type === 'm.room.create' ? `!${eventId.slice(1)}` : undefined);
  if ((opts.includeRoomId ?? true) && roomId !== undefined) ev.room_id = roomId;
  if (pdu.state_key !== undefined) ev.state_key = pdu.state_key;
  // v11 moved `redacts` into content; clients of every version still read the top-level key.
  const redacts = pdu.type === 'm.room.redaction' ? (pdu.redacts ?? stringField(pdu.content, 'redacts')) : undefined;
  if (redacts !== undefined) ev.redacts = redacts;

  const unsigned: JsonObject = { ...(extras.extraUnsigned ?? {}) };
  if (extras.ageMs !== undefined) unsigned.age = Math.max(0, extras.ageMs);
  if (extras.transactionId !== undefined) unsigned.transaction_id = extras.transactionId;
  if (extras.redactedBecause !== undefined) unsigned.redacted_because = extras.redactedBecause as unknown as JsonObject;
  if (pdu.state_key !== undefined) {
    if (extras.prevContent !== undefined) unsigned.prev_content = extras.prevContent;
    if (extras.prevSender !== undefined) unsigned.prev_sender = extras.prevSender;
    if (extras.replacesState !== undefined) unsigned.replaces_state = extras.replacesState;
  }
  if (Object.keys(unsigned).length > 0) ev.unsigned = unsigned;
  return ev;
}

function stringField(obj: JsonObject | undefined, key: string): string | undefined {
  const v = obj?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** The stripped state event shape used for invite/knock room state. */
export function toStrippedState(pdu: Pdu): JsonObject {
  const out: JsonObject = { type: pdu.type, state_key: pdu.state_key ?? '', sender: pdu.sender, content: pdu.content };
  return out;
}
