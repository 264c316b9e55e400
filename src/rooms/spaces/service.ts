import { serverNameOf } from '../../protocol/index.js';
import { invalidParam, MatrixError, notFound } from '../../errors/index.js';
import type { Storage } from '../../storage/interfaces/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import { remoteRoomAccessible, roomHierarchy, withoutChildren, type HierarchyParams, type HierarchyResponse } from './hierarchy.js';
import { createRemoteHierarchy, type FetchRemoteHierarchy } from './remote-hierarchy.js';
import { summarizeRoom, type RoomSummary } from './room-summary.js';
import { serveFederationHierarchy, type FederationHierarchy } from './serve-hierarchy.js';

export interface SpacesDeps {
  storage: Storage;
  serverName: string;
  now: () => number;
  /** Federation GET /hierarchy against other servers; absent means local rooms only. */
  fetchRemoteHierarchy?: FetchRemoteHierarchy;
  /** Federation alias look-up, for summaries of rooms named by another server's alias. */
  resolveRemoteAlias?: (alias: string) => Promise<{ room_id: string; servers: string[] }>;
}

/** The v1.15 room summary: the room's summary plus the requester's membership, when they have one. */
export type RoomSummaryResponse = RoomSummary & { membership?: string };

export interface SpacesService {
  hierarchy(requester: UserId, roomId: string, params: HierarchyParams): Promise<HierarchyResponse>;
  /** The federation answer for `origin` (another server), not paginated. */
  federationHierarchy(origin: string, roomId: string, suggestedOnly: boolean): Promise<FederationHierarchy>;
  /**
   * `requester` null for unauthenticated previews. A room this server does not hold is summarised by the
   * servers in `via` (or the alias's servers) through the federation /hierarchy, as Synapse does.
   */
  roomSummary(requester: UserId | null, roomIdOrAlias: string, via?: readonly string[]): Promise<RoomSummaryResponse>;
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
    async roomSummary(requester, roomIdOrAlias, via = []) {
      const notAccessible = () => new MatrixError('M_NOT_FOUND', 404, 'Room not found or not accessible');
      let roomId: RoomId;
      let servers = [...via];
      if (roomIdOrAlias.startsWith('#')) {
        const resolved = await store.getRoomIdForAlias(roomIdOrAlias);
        if (resolved) {
          roomId = resolved.roomId;
        } else {
          const aliasServer = serverNameOf(roomIdOrAlias);
          if (aliasServer === undefined || aliasServer === deps.serverName || !deps.resolveRemoteAlias) throw notFound('Room alias not found');
          const remoteAlias = await deps.resolveRemoteAlias(roomIdOrAlias);
          roomId = remoteAlias.room_id as RoomId;
          servers = [...servers, ...remoteAlias.servers];
        }
      } else if (roomIdOrAlias.startsWith('!')) {
        roomId = roomIdOrAlias as RoomId;
      } else {
        throw invalidParam('Expected a room id or a room alias');
      }
      const found = await summarizeRoom(store, roomId, requester);
      if (found) {
        // Synapse answers 404 both for unknown rooms and for rooms the requester may not preview, so a summary
        // does not reveal that a private room exists.
        if (!found.accessible) throw notAccessible();
        const out: RoomSummaryResponse = { ...found.summary };
        if (found.membership !== undefined) out.membership = found.membership;
        return out;
      }
      // Room ids before v12 name their creator's server, which is worth asking when no via was given.
      const idServer = serverNameOf(roomId);
      if (servers.length === 0 && idServer !== undefined) servers.push(idServer);
      const answer = remote && servers.length > 0 ? await remote(roomId, servers, false) : undefined;
      if (answer === undefined) throw notAccessible();
      const open = answer.room.world_readable || ['public', 'knock', 'knock_restricted'].includes(answer.room.join_rule);
      if (!(requester === null ? open : await remoteRoomAccessible(store, answer.room, requester))) throw notAccessible();
      return withoutChildren(answer.room);
    },
  };
}
