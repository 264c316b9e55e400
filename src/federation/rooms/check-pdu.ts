import {
  checkContentHash,
  computeEventId,
  redactEvent,
  validatePdu,
  type RoomVersion,
} from '../../protocol/index.js';
import type { Pdu, RoomEvent } from '../../types/pdu.js';
import type { Keyring } from '../keys/index.js';

// Checks on receipt of a PDU that need no room state (server-server API, "Checks performed on receipt of a
// PDU", steps 1-3): a valid event for the room version, valid signatures of the servers that must sign it,
// and a content hash that matches (an event whose hash does not match is kept only in its redacted form).

/** `keyOf`: the check failed only because no key of that server was at hand (see Keyring.lastFetchFailed). */
export type PduCheck = { ok: true; event: RoomEvent } | { ok: false; reason: string; eventId?: string; keyOf?: string };

/** The event id of a PDU as its room version defines it, or undefined when it cannot be computed. */
export function eventIdOf(version: RoomVersion, json: Record<string, unknown>): string | undefined {
  try {
    return computeEventId(version, json);
  } catch {
    return undefined;
  }
}

export async function checkIncomingPdu(keyring: Keyring, version: RoomVersion, json: unknown): Promise<PduCheck> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, reason: 'PDU is not a JSON object' };
  const raw = json as Record<string, unknown>;
  // Servers add `unsigned` data on the way; it is neither hashed nor signed, and we do not keep theirs.
  const { unsigned: _unsigned, ...withoutUnsigned } = raw;
  const eventId = eventIdOf(version, withoutUnsigned);
  if (eventId === undefined) return { ok: false, reason: 'cannot compute the event id' };
  const format = validatePdu(version, withoutUnsigned);
  if (!format.ok) return { ok: false, reason: `invalid event: ${format.reason}`, eventId };
  // Only the create event starts the DAG; any other event without prev events would be a second root,
  // placed nowhere in the room's history (current state would stand in for its unknown "state before").
  if (format.pdu.type !== 'm.room.create' && format.pdu.prev_events.length === 0) {
    return { ok: false, reason: 'invalid event: only the create event may have no prev_events', eventId };
  }
  const signatures = await keyring.verifyEventSignatures(version, withoutUnsigned);
  if (!signatures.ok) {
    const keyOf = signatures.missingKey === true ? signatures.serverName : undefined;
    return { ok: false, reason: `bad signature: ${signatures.reason}`, eventId, ...(keyOf !== undefined ? { keyOf } : {}) };
  }
  let pdu = format.pdu;
  if (!checkContentHash(version, withoutUnsigned)) pdu = redactEvent(version, pdu as Pdu);
  return { ok: true, event: { eventId, pdu } };
}
