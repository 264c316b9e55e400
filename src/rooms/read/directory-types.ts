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
