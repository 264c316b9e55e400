import { invalidParam } from '../../errors/index.js';

// Room pagination tokens (shared contract): `s<N>` names a point in the events stream where every event with
// stream_ordering <= N is at or before it. A sync token (next_batch) starts with the same `s<N>` followed by
// `_`-separated positions of other streams, so /messages accepts both. N may be negative: backfilled events
// sit below zero. Clients treat tokens as opaque.

const TOKEN = /^s(-?\d{1,16})(?:_[^\s]*)?$/;

/** The events position a room or sync token names; M_INVALID_PARAM when it is not one of ours. */
export function parseEventsPosition(token: string, param = 'from'): number {
  const m = TOKEN.exec(token);
  const digits = m?.[1];
  if (digits === undefined) throw invalidParam(`Invalid ${param} token`);
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) throw invalidParam(`Invalid ${param} token`);
  return n;
}

/** The room pagination token for events position `position`. */
export function formatRoomToken(position: number): string {
  return `s${position}`;
}
