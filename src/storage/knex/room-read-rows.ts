import type { Knex } from 'knex';
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { Pdu } from '../../types/pdu.js';
import type { Membership, MembershipRow, StoredEvent } from '../interfaces/index.js';
import { toSafeNumber } from './dialect.js';

// Row shapes of the rooms tables as the drivers hand them back, and their mapping to the store's types.
// Postgres returns bigint columns as strings and booleans as booleans; SQLite returns numbers (or bigints)
// and 0/1, so every column goes through a normaliser.

export const EVENT_COLUMNS = [
  'event_id',
  'room_id',
  'stream_ordering',
  'depth',
  'json',
  'outlier',
  'soft_failed',
  'rejected_reason',
  'replaces_state',
  'redacted_by',
  'received_ts',
] as const;

export interface EventRow {
  event_id: string;
  room_id: string;
  stream_ordering: unknown;
  depth: unknown;
  json: string;
  outlier: unknown;
  soft_failed: unknown;
  rejected_reason: string | null;
  replaces_state: string | null;
  redacted_by: string | null;
  received_ts: unknown;
}

export function toBool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true' || value === 1n;
}

function parsePdu(json: string, eventId: string): Pdu {
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`stored event ${eventId} is not a JSON object`);
  }
  return parsed as Pdu;
}

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    eventId: row.event_id,
    roomId: row.room_id,
    streamOrdering: toSafeNumber(row.stream_ordering, 'events.stream_ordering'),
    depth: toSafeNumber(row.depth, 'events.depth'),
    pdu: parsePdu(row.json, row.event_id),
    outlier: toBool(row.outlier),
    softFailed: toBool(row.soft_failed),
    rejectedReason: row.rejected_reason ?? null,
    replacesState: row.replaces_state ?? null,
    redactedBy: row.redacted_by ?? null,
    receivedTs: toSafeNumber(row.received_ts, 'events.received_ts'),
  };
}

export interface MembershipDbRow {
  room_id: string;
  user_id: string;
  membership: string;
  event_id: string;
  stream_ordering: unknown;
}

export function toMembershipRow(row: MembershipDbRow): MembershipRow {
  return {
    roomId: row.room_id as RoomId,
    userId: row.user_id as UserId,
    membership: row.membership as Membership,
    eventId: row.event_id as EventId,
    streamOrdering: toSafeNumber(row.stream_ordering, 'stream_ordering'),
  };
}

/** Splits `items` into chunks of at most `size` (bound parameters per statement are limited). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  const n = Math.max(1, size);
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/** Restricts an `events as e` query to the room's live timeline: no outliers, soft-failed or rejected events. */
export function liveTimeline<Q extends Knex.QueryBuilder>(q: Q, roomId: RoomId): Q {
  return q
    .where('e.room_id', roomId)
    .andWhere('e.outlier', false)
    .andWhere('e.soft_failed', false)
    .whereNull('e.rejected_reason') as Q;
}
