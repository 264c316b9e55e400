import { forbidden, MatrixError } from '../../errors/index.js';
import { isValidEventId } from '../../protocol/index.js';
import type { EventId, RoomId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import { walkBackwards } from './dag-walk.js';
import type { FederationRoomsDeps } from './deps.js';
import { joinedServers, roomVersionOf } from './room-access.js';
import { pdusForServer } from './server-visibility.js';

// POST /_matrix/federation/v1/get_missing_events/{roomId} (server-server API, "Retrieving missing events"):
// the events before `latest_events`, walking prev_events back until the `earliest_events` the requester
// has, no shallower than `min_depth`, at most `limit` (capped). Only servers with a joined member may ask;
// events the server may not see go out redacted (see server-visibility.ts).

export const DEFAULT_MISSING_EVENTS_LIMIT = 10;
export const MAX_MISSING_EVENTS_LIMIT = 100;
/** More ids than any honest gap needs; bounds the work one request can cause. */
const MAX_IDS = 100;

function idList(body: JsonObject, name: string, required: boolean): EventId[] {
  const v = body[name];
  if (v === undefined && !required) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !isValidEventId(x))) {
    throw new MatrixError('M_BAD_JSON', 400, `${name} must be a list of event ids`);
  }
  if (v.length > MAX_IDS) throw new MatrixError('M_BAD_JSON', 400, `${name} lists more than ${MAX_IDS} events`);
  return v as EventId[];
}

function nonNegativeInt(body: JsonObject, name: string, fallback: number): number {
  const v = body[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new MatrixError('M_BAD_JSON', 400, `${name} must be a non-negative integer`);
  return v;
}

export async function serveMissingEvents(deps: FederationRoomsDeps, origin: string, roomId: RoomId, body: JsonObject): Promise<JsonObject> {
  const latest = idList(body, 'latest_events', true);
  const earliest = idList(body, 'earliest_events', false);
  const limit = Math.min(nonNegativeInt(body, 'limit', DEFAULT_MISSING_EVENTS_LIMIT), MAX_MISSING_EVENTS_LIMIT);
  const minDepth = nonNegativeInt(body, 'min_depth', 0);
  const version = await roomVersionOf(deps.storage, roomId);
  if (!(await joinedServers(deps.storage, roomId)).has(origin)) throw forbidden(`Server ${origin} is not in room ${roomId}`);
  const events = await walkBackwards(deps.storage.rooms, { roomId, from: latest, includeFrom: false, stopAt: new Set(earliest), limit, minDepth });
  // Oldest first: the order in which the requester can process them.
  events.reverse();
  return { events: (await pdusForServer(deps.storage.rooms, version, origin, events)) as unknown as JsonObject[] };
}
