import type { EventId, RoomId, UserId } from '../../types/ids.js';

// The rows of the relations and search indexes (relations.ts), apart so the room write store can take them
// in its transaction (rooms.ts DerivedRows) without the two interface files importing each other.

export interface RelationRow {
  eventId: EventId;
  relatesToId: EventId;
  relType: string;
  roomId: RoomId;
  sender: UserId;
  type: string;
  aggregationKey: string | null;
  streamOrdering: number;
  originServerTs: number;
  isState: boolean;
}

export interface SearchRow {
  eventId: EventId;
  roomId: RoomId;
  sender: UserId;
  type: string;
  /** content.body, content.name or content.topic */
  key: string;
  value: string;
  streamOrdering: number;
  originServerTs: number;
}
