import { invalidParam, MatrixError, notFound } from '../../errors/index.js';
import type { Storage } from '../../storage/interfaces/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import { roomHierarchy, type HierarchyParams, type HierarchyResponse } from './hierarchy.js';
import { createRemoteHierarchy, type FetchRemoteHierarchy } from './remote-hierarchy.js';
import { summarizeRoom, type RoomSummary } from './room-summary.js';
import { serveFederationHierarchy, type FederationHierarchy } from './serve-hierarchy.js';

export interface SpacesDeps {
  storage: Storage;
  serverName: string;
  now: () => number;
  /** Federation GET /hierarchy against other servers; absent means local rooms only. */
  fetchRemoteHierarchy?: FetchRemoteHierarchy;
}

/** The v1.15 room summary: the room's summary plus the requester's membership, when they have one. */
export type RoomSummaryResponse = RoomSummary & { membership?: string };

export interface SpacesService {
  hierarchy(requester: UserId, roomId: string, params: HierarchyParams): Promise<HierarchyResponse>;
  /** The federation answer for `origin` (another server), not paginated. */
  federationHierarchy(origin: string, roomId: string, suggestedOnly: boolean): Promise<FederationHierarchy>;
  /** `requester` null for unauthenticated previews. */
  roomSummary(requester: UserId | null, roomIdOrAlias: string): Promise<RoomSummaryResponse>;
}

export function createSpacesService(deps: SpacesDeps): SpacesService {
  const store = deps.storage.rooms;
  const remote = deps.fetchRemoteHierarchy && createRemoteHierarchy(deps.fetchRemoteHierarchy, deps.now, deps.serverName);
  return {
    hierarchy(requester, roomId, params) {
      if (!roomId.startsWith('!')) throw invalidParam('roomId must be a room id');
      return roomHierarchy({ store, ...(remote ? { remote } : {}) }, requester, roomId as RoomId, params);
    },
    federationHierarchy(origin, roomId, suggestedOnly) {
      if (!roomId.startsWith('!')) throw invalidParam('roomId must be a room id');
      return serveFederationHierarchy(store, origin, roomId as RoomId, suggestedOnly);
    },
    async roomSummary(requester, roomIdOrAlias) {
      let roomId: RoomId;
      if (roomIdOrAlias.startsWith('#')) {
        const resolved = await store.getRoomIdForAlias(roomIdOrAlias);
        if (!resolved) throw notFound('Room alias not found');
        roomId = resolved.roomId;
      } else if (roomIdOrAlias.startsWith('!')) {
        roomId = roomIdOrAlias as RoomId;
      } else {
        throw invalidParam('Expected a room id or a room alias');
      }
      const found = await summarizeRoom(store, roomId, requester);
      // Synapse answers 404 both for unknown rooms and for rooms the requester may not preview, so a summary
      // does not reveal that a private room exists.
      if (!found || !found.accessible) throw new MatrixError('M_NOT_FOUND', 404, 'Room not found or not accessible');
      const out: RoomSummaryResponse = { ...found.summary };
      if (found.membership !== undefined) out.membership = found.membership;
      return out;
    },
  };
}
