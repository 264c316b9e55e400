import type { Pdu } from '../../types/pdu.js';

// RoomEventFilter (client-server API "Filtering") as /messages and /context apply it. The route layer parses
// and validates the JSON; this file only matches events. Type patterns may use '*' as a wildcard.

export interface RoomEventFilter {
  limit?: number;
  types?: string[];
  not_types?: string[];
  senders?: string[];
  not_senders?: string[];
  rooms?: string[];
  not_rooms?: string[];
  contains_url?: boolean;
  lazy_load_members?: boolean;
  include_redundant_members?: boolean;
}

/** JSON Schema of the filter, for the route layer's validator. */
export const ROOM_EVENT_FILTER_SCHEMA = {
  type: 'object',
  properties: {
    limit: { type: 'integer' },
    types: { type: 'array', items: { type: 'string' } },
    not_types: { type: 'array', items: { type: 'string' } },
    senders: { type: 'array', items: { type: 'string' } },
    not_senders: { type: 'array', items: { type: 'string' } },
    rooms: { type: 'array', items: { type: 'string' } },
    not_rooms: { type: 'array', items: { type: 'string' } },
    contains_url: { type: 'boolean' },
    lazy_load_members: { type: 'boolean' },
    include_redundant_members: { type: 'boolean' },
    unread_thread_notifications: { type: 'boolean' },
  },
} as const;

function globMatches(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return re.test(value);
}

/** Whether an event passes the filter's type, sender, room and contains_url clauses. */
export function eventMatchesFilter(filter: RoomEventFilter | undefined, pdu: Pdu, roomId = pdu.room_id): boolean {
  if (filter === undefined) return true;
  const { type, sender } = pdu;
  if (filter.not_types?.some((p) => globMatches(p, type))) return false;
  if (filter.types !== undefined && !filter.types.some((p) => globMatches(p, type))) return false;
  if (filter.not_senders?.includes(sender)) return false;
  if (filter.senders !== undefined && !filter.senders.includes(sender)) return false;
  if (roomId !== undefined) {
    if (filter.not_rooms?.includes(roomId)) return false;
    if (filter.rooms !== undefined && !filter.rooms.includes(roomId)) return false;
  }
  if (filter.contains_url !== undefined) {
    const hasUrl = typeof pdu.content.url === 'string';
    if (filter.contains_url !== hasUrl) return false;
  }
  return true;
}
