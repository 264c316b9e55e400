import type { RoomId } from '../../types/ids.js';

// Shapes of the published room directory (/publicRooms), shared by the local directory and the port that
// fetches other servers' directories (kept apart so the reader context can name them without a cycle).

export interface PublicRoomsChunk {
  room_id: RoomId;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  name?: string;
  topic?: string;
  canonical_alias?: string;
  avatar_url?: string;
  join_rule?: string;
  room_type?: string;
}

export interface PublicRoomsParams {
  limit?: number;
  since?: string;
  /** Another server's directory: needs federation. */
  server?: string;
  genericSearchTerm?: string;
  /** Entries may be strings or null (rooms without a type). */
  roomTypes?: ReadonlyArray<string | null>;
  includeAllNetworks?: boolean;
  thirdPartyInstanceId?: string;
}

export interface PublicRoomsResponse {
  chunk: PublicRoomsChunk[];
  next_batch?: string;
  prev_batch?: string;
  total_room_count_estimate: number;
}

/** The POST /publicRooms body, the same for clients and for other servers. */
export interface PublicRoomsBody {
  limit?: number;
  since?: string;
  filter?: { generic_search_term?: string; room_types?: Array<string | null> };
  include_all_networks?: boolean;
  third_party_instance_id?: string;
}

/** JSON schema of PublicRoomsBody, for route validation on both APIs. */
export const PUBLIC_ROOMS_BODY_SCHEMA = {
  type: 'object',
  properties: {
    limit: { type: 'integer' },
    since: { type: 'string' },
    filter: {
      type: 'object',
      properties: {
        generic_search_term: { type: 'string' },
        room_types: { type: 'array', items: { type: ['string', 'null'] } },
      },
    },
    include_all_networks: { type: 'boolean' },
    third_party_instance_id: { type: 'string' },
  },
} as const;
