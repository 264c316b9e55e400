import { MatrixError } from '../../errors/index.js';
import { isValidEventId } from '../../protocol/index.js';
import type { EventId, RoomId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { RoomEvent, StateKey } from '../../types/pdu.js';
import { federationPath } from '../outbound/index.js';
import { checkIncomingPdu } from './check-pdu.js';
import { prevIdsOf, walkBackwards } from './dag-walk.js';
import type { FederationRoomsDeps } from './deps.js';
import { isEventOfRoom, stateBeforeFromRemote } from './fetch-remote-state.js';
import { assertServerMayRead, joinedServers, roomVersionOf } from './room-access.js';
import { pdusForServer } from './server-visibility.js';

// Backfill (server-server API, "Backfilling and retrieving missing events"), both ways.
// Serving: GET /backfill/{roomId}?v=...&limit=: the `v` events and those before them, deepest first, to a
// server that may read the room (events it may not see go out redacted).
// Fetching: when a client pages back past the oldest event we hold (/messages dir=b), we ask a server in the
// room for the events before our backward extremities and store them as history (negative stream orderings,
// room-history in src/rooms). The oldest of them hang off events we still lack: their state comes from that
// server's /state_ids. Each set of backward extremities is asked for once, so a client paging at the start of
// what anyone has does not make us ask again and again.

export const MAX_BACKFILL_LIMIT = 100;
/** Events asked for per backfill request. */
const BACKFILL_BATCH = 50;
/** State fetches for one backfilled batch (its oldest events); a normal batch needs one. */
const MAX_STATE_FETCHES = 3;

export async function serveBackfill(deps: FederationRoomsDeps, origin: string, roomId: RoomId, from: readonly string[], limit: number): Promise<JsonObject> {
  if (from.length === 0 || from.length > 100 || from.some((v) => !isValidEventId(v))) {
    throw new MatrixError('M_INVALID_PARAM', 400, 'v must list between 1 and 100 event ids');
  }
  if (!Number.isInteger(limit) || limit < 0) throw new MatrixError('M_INVALID_PARAM', 400, 'limit must be a non-negative integer');
  const version = await roomVersionOf(deps.storage, roomId);
  await assertServerMayRead(deps.storage, roomId, origin);
  const events = await walkBackwards(deps.storage.rooms, { roomId, from, includeFrom: true, limit: Math.min(limit, MAX_BACKFILL_LIMIT) });
  const pdus = await pdusForServer(deps.storage.rooms, version, origin, events);
  return { origin: deps.config.serverName, origin_server_ts: deps.now(), pdus: pdus as unknown as JsonObject[] };
}

/** Backfill requests in flight per room, and the backward extremities already asked for. */
export class BackfillTracker {
  readonly inFlight = new Map<RoomId, Promise<boolean>>();
  readonly asked = new Map<RoomId, Set<EventId>>();
}

async function checkedBatch(deps: FederationRoomsDeps, roomId: RoomId, server: string, from: readonly EventId[]): Promise<RoomEvent[]> {
  const version = await roomVersionOf(deps.storage, roomId);
  const res = await deps.federation.client.getJson(server, federationPath`/_matrix/federation/v1/backfill/${roomId}`, {
    query: { v: [...from], limit: BACKFILL_BATCH },
    timeoutMs: 30_000,
  });
  const list = Array.isArray(res.pdus) ? res.pdus.slice(0, MAX_BACKFILL_LIMIT) : [];
  const out: RoomEvent[] = [];
  for (const json of list) {
    const checked = await checkIncomingPdu(deps.federation.keyring, version, json);
    if (checked.ok && isEventOfRoom(version, checked.event, roomId)) out.push(checked.event);
  }
  return out;
}

/** Asks servers of the room for history before what we hold; true when new events were stored. */
async function backfillOnce(deps: FederationRoomsDeps, tracker: BackfillTracker, roomId: RoomId): Promise<boolean> {
  const { rooms: store } = deps.storage;
  const asked = tracker.asked.get(roomId) ?? new Set<EventId>();
  tracker.asked.set(roomId, asked);
  const extremities = (await store.getBackwardExtremities(roomId)).filter((id) => !asked.has(id)).slice(0, 20);
  if (extremities.length === 0) return false;
  const version = await roomVersionOf(deps.storage, roomId);
  const servers = [...(await joinedServers(deps.storage, roomId))].filter((s) => s !== deps.config.serverName);
  for (const server of servers) {
    let events: RoomEvent[];
    try {
      events = await checkedBatch(deps, roomId, server, extremities);
    } catch (err) {
      deps.logger.info({ err, server, roomId }, 'backfill request failed');
      continue;
    }
    // A server answered: these extremities are not asked for again (unreachable servers leave them to retry).
    for (const id of extremities) asked.add(id);
    const held = await store.getEvents(events.map((e) => e.eventId));
    const fresh = events.filter((e) => held.get(e.eventId)?.outlier !== false);
    if (fresh.length === 0) continue;
    // The oldest events of the batch hang off events we do not hold: their state comes from the same server.
    const inBatch = new Set(fresh.map((e) => e.eventId));
    const prevStates = new Map<EventId, Map<StateKey, EventId>>();
    let fetches = 0;
    for (const e of [...fresh].sort((a, b) => Number(a.pdu.depth ?? 0) - Number(b.pdu.depth ?? 0))) {
      const prevs = prevIdsOf(e.pdu).filter((p) => !inBatch.has(p) && !prevStates.has(p));
      if (prevs.length === 0) continue;
      const heldPrevs = await store.getEvents(prevs);
      const unknown = prevs.filter((p) => heldPrevs.get(p)?.outlier !== false);
      if (unknown.length === 0 || fetches >= MAX_STATE_FETCHES) continue;
      fetches++;
      try {
        // The state before `e` stands for the state after each of its unknown prev events.
        const before = await stateBeforeFromRemote(deps, server, version, roomId, e.eventId);
        for (const p of unknown) prevStates.set(p, before);
      } catch (err) {
        deps.logger.info({ err, server, roomId, eventId: e.eventId }, 'could not get the state of backfilled events');
      }
    }
    const { stored, rejected } = await deps.rooms.persistBackfilled(roomId, fresh, prevStates);
    if (rejected.size > 0) deps.logger.info({ server, roomId, rejected: rejected.size }, 'backfilled events failed their checks');
    if (stored.length > 0) return true;
  }
  return false;
}

/** Backfills `roomId` once per set of backward extremities; concurrent callers share the request. */
export function backfillRoom(deps: FederationRoomsDeps, tracker: BackfillTracker, roomId: RoomId): Promise<boolean> {
  const running = tracker.inFlight.get(roomId);
  if (running !== undefined) return running;
  const job = backfillOnce(deps, tracker, roomId)
    .catch((err: unknown) => {
      deps.logger.warn({ err, roomId }, 'backfill failed');
      return false;
    })
    .finally(() => tracker.inFlight.delete(roomId));
  tracker.inFlight.set(roomId, job);
  return job;
}

