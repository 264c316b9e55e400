import type { RelationRow, SearchRow, StoredEvent } from '../../storage/interfaces/index.js';
import type { EventId } from '../../types/ids.js';

// What the indexers record for one persisted event: its relation (content.m.relates_to with rel_type and
// event_id) for the relations index, its searchable text for the search index, and for a redaction the event
// it removes from both. Pure.

/** Events that never reach a timeline do not count as children or as search results. */
function indexable(ev: StoredEvent): boolean {
  return !ev.outlier && !ev.softFailed && ev.rejectedReason === null;
}

function stringAt(obj: unknown, key: string): string | undefined {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const v = (obj as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

export function relationOf(ev: StoredEvent): RelationRow | null {
  if (!indexable(ev) || ev.redactedBy !== null) return null;
  const relatesTo = ev.pdu.content['m.relates_to'];
  const relType = stringAt(relatesTo, 'rel_type');
  const parent = stringAt(relatesTo, 'event_id');
  if (relType === undefined || parent === undefined || parent === ev.eventId) return null;
  return {
    eventId: ev.eventId,
    relatesToId: parent,
    relType,
    roomId: ev.roomId,
    sender: ev.pdu.sender,
    type: ev.pdu.type,
    aggregationKey: relType === 'm.annotation' ? (stringAt(relatesTo, 'key') ?? null) : null,
    streamOrdering: ev.streamOrdering,
    originServerTs: ev.pdu.origin_server_ts,
    isState: ev.pdu.state_key !== undefined,
  };
}

/** The content key searched for each event type (the spec's `keys` of /search). */
export const SEARCH_KEYS: Readonly<Record<string, { type: string; field: string }>> = {
  'content.body': { type: 'm.room.message', field: 'body' },
  'content.name': { type: 'm.room.name', field: 'name' },
  'content.topic': { type: 'm.room.topic', field: 'topic' },
};

export function searchRowOf(ev: StoredEvent): SearchRow | null {
  if (!indexable(ev) || ev.redactedBy !== null) return null;
  for (const [key, { type, field }] of Object.entries(SEARCH_KEYS)) {
    if (ev.pdu.type !== type) continue;
    const value = stringAt(ev.pdu.content, field);
    if (value === undefined || value.trim() === '') return null;
    return {
      eventId: ev.eventId,
      roomId: ev.roomId,
      sender: ev.pdu.sender,
      type: ev.pdu.type,
      key,
      value,
      streamOrdering: ev.streamOrdering,
      originServerTs: ev.pdu.origin_server_ts,
    };
  }
  return null;
}

/** The event a redaction removes (v11 moved `redacts` into content). */
export function redactedBy(ev: StoredEvent): EventId | null {
  if (ev.pdu.type !== 'm.room.redaction' || !indexable(ev)) return null;
  return ev.pdu.redacts ?? stringAt(ev.pdu.content, 'redacts') ?? null;
}

export interface IndexRows {
  relations: RelationRow[];
  search: SearchRow[];
  /** Events whose rows a redaction among `events` removes (from both indexes: a delete finds nothing twice). */
  redacted: EventId[];
}

function redactedIn(events: readonly StoredEvent[]): EventId[] {
  return events.map(redactedBy).filter((target): target is EventId => target !== null);
}

/** The relation rows of `events` (the relations index), and the events their redactions remove. */
export function relationRowsOf(events: readonly StoredEvent[]): IndexRows {
  const relations = events.map(relationOf).filter((r): r is RelationRow => r !== null);
  return { relations, search: [], redacted: redactedIn(events) };
}

/** The search rows of `events` (the search index), and the events their redactions remove. */
export function searchRowsOf(events: readonly StoredEvent[]): IndexRows {
  const search = events.map(searchRowOf).filter((r): r is SearchRow => r !== null);
  return { relations: [], search, redacted: redactedIn(events) };
}
