import type { EventId } from '../../types/ids.js';
import type { RoomEvent } from '../../types/pdu.js';

// Shared tie-breakers of both v2 orderings: origin_server_ts ascending, then event id ascending. Event ids are
// compared by code unit, which equals code point order for the ASCII ids every room version produces.

export function compareIds(a: EventId, b: EventId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareTsThenId(a: RoomEvent, b: RoomEvent): number {
  const ta = a.pdu.origin_server_ts;
  const tb = b.pdu.origin_server_ts;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareIds(a.eventId, b.eventId);
}
