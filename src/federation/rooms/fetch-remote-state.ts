import { roomIdForCreateEvent, stateKey, type RoomVersion } from '../../protocol/index.js';
import type { EventId, RoomId } from '../../types/ids.js';
import type { RoomEvent, StateKey } from '../../types/pdu.js';
import { federationPath } from '../outbound/index.js';
import { checkIncomingPdu } from './check-pdu.js';
import type { FederationRoomsDeps } from './deps.js';

// Asking another server for the state of a room at an event (server-server API, /state_ids, /state, /event):
// what fill-gap.ts and backfill.ts fall back to when prev events are missing. Every event fetched goes through
// the checks on receipt (format, signatures, hash) and must be the event asked for, of this room; the state
// and auth events are stored as outliers, each only once its own auth events allow it, so a server cannot make
// us hold an event the room's rules refuse. What the server claims is the state is taken only as far as
// those events exist and passed their checks; the event that needs the state is still authorised against it.

/** A room's state is bounded in practice; more ids than this is an abuse, not a room. */
const MAX_STATE_IDS = 100_000;
/** Above this many missing events, one /state request beats one /event request each. */
const FETCH_ONE_BY_ONE_UP_TO = 50;
const PARALLEL_FETCHES = 6;

function idArray(v: unknown): EventId[] | null {
  if (!Array.isArray(v) || v.length > MAX_STATE_IDS) return null;
  return v.every((x) => typeof x === 'string') ? (v as EventId[]) : null;
}

/** Whether a checked event belongs to `roomId` (a v12 create event names no room: its id is the room's). */
export function isEventOfRoom(version: RoomVersion, event: RoomEvent, roomId: RoomId): boolean {
  if (typeof event.pdu.room_id === 'string') return event.pdu.room_id === roomId;
  if (event.pdu.type !== 'm.room.create') return false;
  try {
    return roomIdForCreateEvent(event.pdu as unknown as Parameters<typeof roomIdForCreateEvent>[0], version) === roomId;
  } catch {
    return false;
  }
}

/** Checks PDUs as received from `server`; keeps those that are valid events of `roomId` (by id). */
async function checkPdus(deps: FederationRoomsDeps, version: RoomVersion, roomId: RoomId, list: unknown, wanted?: ReadonlySet<EventId>): Promise<Map<EventId, RoomEvent>> {
  const out = new Map<EventId, RoomEvent>();
  for (const json of Array.isArray(list) ? list : []) {
    const checked = await checkIncomingPdu(deps.federation.keyring, version, json);
    if (!checked.ok) continue;
    if (!isEventOfRoom(version, checked.event, roomId)) continue;
    if (wanted !== undefined && !wanted.has(checked.event.eventId)) continue;
    out.set(checked.event.eventId, checked.event);
  }
  return out;
}

/** Events by id from `server` (GET /event, a few at a time). Those it cannot give or that fail the checks are left out. */
export async function fetchEvents(deps: FederationRoomsDeps, server: string, version: RoomVersion, roomId: RoomId, ids: readonly EventId[]): Promise<Map<EventId, RoomEvent>> {
  const out = new Map<EventId, RoomEvent>();
  const queue = [...new Set(ids)];
  const worker = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        const res = await deps.federation.client.getJson(server, federationPath`/_matrix/federation/v1/event/${id}`, { timeoutMs: 20_000 });
        for (const [eid, ev] of await checkPdus(deps, version, roomId, res.pdus, new Set([id]))) out.set(eid, ev);
      } catch (err) {
        deps.logger.info({ err, server, eventId: id }, 'could not fetch an event');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_FETCHES, queue.length) }, worker));
  return out;
}

/**
 * The state before `eventId` as `server` knows it, made of events we hold (missing ones are fetched and stored
 * as outliers). Throws when the server does not answer.
 */
export async function stateBeforeFromRemote(deps: FederationRoomsDeps, server: string, version: RoomVersion, roomId: RoomId, eventId: EventId): Promise<Map<StateKey, EventId>> {
  const { rooms: store } = deps.storage;
  const res = await deps.federation.client.getJson(server, federationPath`/_matrix/federation/v1/state_ids/${roomId}`, {
    query: { event_id: eventId },
    timeoutMs: 60_000,
  });
  const stateIds = idArray(res.pdu_ids);
  const authIds = idArray(res.auth_chain_ids) ?? [];
  if (stateIds === null) throw new Error(`${server} sent no valid pdu_ids for ${eventId}`);
  const all = [...new Set([...stateIds, ...authIds])];
  const held = await store.getEvents(all);
  const missing = all.filter((id) => !held.has(id));
  let fetched: Map<EventId, RoomEvent>;
  if (missing.length > FETCH_ONE_BY_ONE_UP_TO) {
    const full = await deps.federation.client.getJson(server, federationPath`/_matrix/federation/v1/state/${roomId}`, {
      query: { event_id: eventId },
      timeoutMs: 120_000,
      maxResponseBytes: 256 * 1024 * 1024,
    });
    const wanted = new Set(missing);
    fetched = await checkPdus(deps, version, roomId, [...(Array.isArray(full.pdus) ? full.pdus : []), ...(Array.isArray(full.auth_chain) ? full.auth_chain : [])], wanted);
  } else {
    fetched = await fetchEvents(deps, server, version, roomId, missing);
  }
  if (fetched.size > 0) {
    const { rejected } = await deps.rooms.storeOutliers(roomId, [...fetched.values()]);
    if (rejected.size > 0) deps.logger.info({ server, roomId, rejected: rejected.size }, 'state events from another server failed their auth checks');
  }
  const usable = await store.getEvents(stateIds);
  const state = new Map<StateKey, EventId>();
  for (const id of stateIds) {
    const ev = usable.get(id);
    if (ev === undefined || ev.rejectedReason !== null || ev.roomId !== roomId || typeof ev.pdu.state_key !== 'string') continue;
    const key = stateKey(ev.pdu.type, ev.pdu.state_key);
    // Two claimed events for one key: the claim is inconsistent; keep the first, resolution will judge.
    if (!state.has(key)) state.set(key, id);
  }
  return state;
}

/** The state after `eventId` per `server`: the state before it plus the event itself when it is a state event. */
export async function stateAfterFromRemote(deps: FederationRoomsDeps, server: string, version: RoomVersion, roomId: RoomId, eventId: EventId): Promise<Map<StateKey, EventId>> {
  const state = await stateBeforeFromRemote(deps, server, version, roomId, eventId);
  let ev: RoomEvent | undefined;
  const held = await deps.storage.rooms.getEvent(eventId);
  if (held !== undefined) ev = { eventId, pdu: held.pdu };
  else {
    ev = (await fetchEvents(deps, server, version, roomId, [eventId])).get(eventId);
    if (ev !== undefined && typeof ev.pdu.state_key === 'string') {
      const { stored } = await deps.rooms.storeOutliers(roomId, [ev]);
      if (!stored.includes(eventId)) ev = undefined;
    }
  }
  if (ev !== undefined && typeof ev.pdu.state_key === 'string') state.set(stateKey(ev.pdu.type, ev.pdu.state_key), eventId);
  return state;
}
