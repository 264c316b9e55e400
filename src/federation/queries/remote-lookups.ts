import { MatrixError, notFound } from '../../errors/index.js';
import { serverNameOf } from '../../protocol/index.js';
import type { PublicRoomsParams, PublicRoomsResponse } from '../../rooms/index.js';
import type { JsonObject } from '../../types/json.js';
import { federationPath, FederationRequestError, type FederationClient } from '../outbound/index.js';

// Client-side look-ups that need another server: a remote user's profile (GET /query/profile), a remote
// room alias (GET /query/directory) and a remote room directory (POST, falling back to GET, /publicRooms).
// Failures become the MatrixErrors clients expect: the remote 404 stays a 404; anything else is a 502.

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function mapError(err: unknown, what: string, notFoundMessage: string): MatrixError {
  if (err instanceof FederationRequestError && err.kind === 'http' && err.status === 404) return notFound(notFoundMessage);
  if (err instanceof FederationRequestError && err.kind === 'http' && err.status === 403 && err.errcode === 'M_FORBIDDEN') {
    return new MatrixError('M_FORBIDDEN', 403, `${what}: the remote server refused`);
  }
  return new MatrixError('M_UNKNOWN', 502, `${what}: the remote server could not be reached`);
}

export interface RemoteLookups {
  /** Federation GET /hierarchy of a room we do not hold, asking `servers` in turn; undefined when none answers. */
  hierarchy(roomId: string, servers: readonly string[], suggestedOnly: boolean): Promise<JsonObject | undefined>;
  profiles: { query(userId: string, field?: string): Promise<Record<string, unknown>> };
  directory: {
    resolveAlias(alias: string): Promise<{ room_id: string; servers: string[] }>;
    publicRooms(server: string, params: Omit<PublicRoomsParams, 'server'>): Promise<PublicRoomsResponse>;
  };
}

export function createRemoteLookups(client: Pick<FederationClient, 'getJson' | 'postJson'>): RemoteLookups {
  return {
    async hierarchy(roomId, servers, suggestedOnly) {
      for (const server of servers) {
        try {
          return await client.getJson(server, federationPath`/_matrix/federation/v1/hierarchy/${roomId}`, {
            query: { suggested_only: suggestedOnly ? 'true' : 'false' },
            timeoutMs: 10_000,
            retries: 0,
          });
        } catch {
          // Unreachable, or it does not know the room: the next server in `via` may.
        }
      }
      return undefined;
    },
    profiles: {
      async query(userId, field) {
        const server = serverNameOf(userId);
        if (server === undefined) throw notFound('Profile was not found');
        try {
          return await client.getJson(server, federationPath`/_matrix/federation/v1/query/profile`, {
            query: { user_id: userId, field },
            timeoutMs: 15_000,
            retries: 0,
          });
        } catch (err) {
          throw mapError(err, `Profile of ${userId}`, 'Profile was not found');
        }
      },
    },
    directory: {
      async resolveAlias(alias) {
        const server = serverNameOf(alias);
        if (server === undefined) throw notFound(`Room alias ${alias} not found`);
        let answer: JsonObject;
        try {
          answer = await client.getJson(server, federationPath`/_matrix/federation/v1/query/directory`, {
            query: { room_alias: alias },
            timeoutMs: 15_000,
            retries: 0,
          });
        } catch (err) {
          throw mapError(err, `Room alias ${alias}`, `Room alias ${alias} not found`);
        }
        if (typeof answer.room_id !== 'string') throw new MatrixError('M_UNKNOWN', 502, `Room alias ${alias}: the remote server gave no room id`);
        const servers = Array.isArray(answer.servers) ? answer.servers.filter((s): s is string => typeof s === 'string') : [];
        // The alias's own server can always be asked to help a join, whatever list it sent.
        if (!servers.includes(server)) servers.push(server);
        return { room_id: answer.room_id, servers };
      },
      async publicRooms(server, params) {
        const body: JsonObject = {};
        if (params.limit !== undefined) body.limit = params.limit;
        if (params.since !== undefined) body.since = params.since;
        if (params.includeAllNetworks !== undefined) body.include_all_networks = params.includeAllNetworks;
        if (params.thirdPartyInstanceId !== undefined) body.third_party_instance_id = params.thirdPartyInstanceId;
        const filter: JsonObject = {};
        if (params.genericSearchTerm !== undefined) filter.generic_search_term = params.genericSearchTerm;
        if (params.roomTypes !== undefined) filter.room_types = [...params.roomTypes];
        if (Object.keys(filter).length > 0) body.filter = filter;
        let answer: JsonObject;
        try {
          answer = await client.postJson(server, federationPath`/_matrix/federation/v1/publicRooms`, body, { timeoutMs: 20_000 });
        } catch (err) {
          throw mapError(err, `Room directory of ${server}`, `Room directory of ${server} not found`);
        }
        if (!Array.isArray(answer.chunk)) throw new MatrixError('M_UNKNOWN', 502, `Room directory of ${server}: malformed answer`);
        // Entries are passed on as the remote server described its rooms; only objects with a room id survive.
        const chunk = answer.chunk.filter((e) => isObject(e) && typeof e.room_id === 'string') as unknown as PublicRoomsResponse['chunk'];
        const out: PublicRoomsResponse = {
          chunk,
          total_room_count_estimate: typeof answer.total_room_count_estimate === 'number' ? answer.total_room_count_estimate : chunk.length,
        };
        if (typeof answer.next_batch === 'string') out.next_batch = answer.next_batch;
        if (typeof answer.prev_batch === 'string') out.prev_batch = answer.prev_batch;
        return out;
      },
    },
  };
}
