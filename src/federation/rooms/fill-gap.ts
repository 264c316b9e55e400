import type { RoomVersion } from '../../protocol/index.js';
import type { EventId, RoomId } from '../../types/ids.js';
import type { RoomEvent, StateKey } from '../../types/pdu.js';
import { federationPath } from '../outbound/index.js';
import { checkIncomingPdu } from './check-pdu.js';
import { prevIdsOf } from './dag-walk.js';
import type { FederationRoomsDeps } from './deps.js';
import { isEventOfRoom, stateAfterFromRemote } from './fetch-remote-state.js';

// An inbound PDU whose prev events we do not hold (we were down, or its server could not reach us): first ask
// its origin for the events in between (POST /get_missing_events: bounded by count and depth, rate limited per
// room and origin) and process them oldest first through the same checks as any PDU; prev events still
// missing after that get their state from the origin (/state_ids at that prev event, the events we lack
// fetched and stored as outliers), and the new event's state is resolved over those states and the states
// after the prev events we hold (remote-input.ts).

/** Events asked for in one /get_missing_events (the spec's servers cap it around here). */
export const MISSING_EVENTS_LIMIT = 50;
/** A gap deeper than this is not walked event by event; the state is fetched instead. */
export const MAX_GAP_DEPTH = 1000;
/** Missing prev events whose state we fetch for one event; more is hostile (or a DAG we cannot help). */
const MAX_STATE_FETCHES = 5;

/** At most `max` gap fills per room and origin within `windowMs`. */
export class GapRateLimiter {
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly now: () => number,
    private readonly max = 10,
    private readonly windowMs = 60_000,
  ) {}

  tryTake(roomId: RoomId, origin: string): boolean {
    const key = `${roomId}|${origin}`;
    const since = this.now() - this.windowMs;
    const times = (this.recent.get(key) ?? []).filter((t) => t > since);
    if (times.length >= this.max) {
      this.recent.set(key, times);
      return false;
    }
    times.push(this.now());
    this.recent.set(key, times);
    if (this.recent.size > 10_000) {
      for (const [k, v] of this.recent) if (v.every((t) => t <= since)) this.recent.delete(k);
    }
    return true;
  }
}

export interface GapFill {
  /** The state after prev events we still do not hold, for the room writer (RemoteRoomInput.receive). */
  prevStates?: Map<EventId, Map<StateKey, EventId>>;
}

/** Prev events of `event` we have no state after (not held, or held only as outliers). */
async function missingPrevs(deps: FederationRoomsDeps, event: RoomEvent): Promise<EventId[]> {
  const prevs = prevIdsOf(event.pdu);
  const held = await deps.storage.rooms.getEvents(prevs);
  return prevs.filter((p) => {
    const e = held.get(p);
    return e === undefined || e.outlier;
  });
}

async function askMissingEvents(deps: FederationRoomsDeps, origin: string, version: RoomVersion, roomId: RoomId, event: RoomEvent): Promise<RoomEvent[]> {
  const { rooms: store } = deps.storage;
  const extremities = await store.getForwardExtremities(roomId);
  const tips = await store.getEvents(extremities);
  const depths = [...tips.values()].map((e) => e.depth);
  const minDepth = depths.length > 0 ? Math.min(...depths) : 0;
  const depth = typeof event.pdu.depth === 'number' ? event.pdu.depth : 0;
  if (depth - minDepth > MAX_GAP_DEPTH) return [];
  const res = await deps.federation.client.postJson(
    origin,
    federationPath`/_matrix/federation/v1/get_missing_events/${roomId}`,
    { earliest_events: extremities, latest_events: [event.eventId], limit: MISSING_EVENTS_LIMIT, min_depth: minDepth },
    { timeoutMs: 30_000, retries: 1 },
  );
  const list = Array.isArray(res.events) ? res.events.slice(0, MISSING_EVENTS_LIMIT) : [];
  const out: RoomEvent[] = [];
  for (const json of list) {
    const checked = await checkIncomingPdu(deps.federation.keyring, version, json);
    if (!checked.ok || !isEventOfRoom(version, checked.event, roomId) || checked.event.eventId === event.eventId) continue;
    out.push(checked.event);
  }
  return out.sort((a, b) => Number(a.pdu.depth ?? 0) - Number(b.pdu.depth ?? 0));
}

/** The state after each missing prev event of `event`, from `origin`. */
async function statesOfMissingPrevs(deps: FederationRoomsDeps, origin: string, version: RoomVersion, roomId: RoomId, missing: readonly EventId[]): Promise<Map<EventId, Map<StateKey, EventId>>> {
  const out = new Map<EventId, Map<StateKey, EventId>>();
  for (const p of missing.slice(0, MAX_STATE_FETCHES)) {
    try {
      out.set(p, await stateAfterFromRemote(deps, origin, version, roomId, p));
    } catch (err) {
      deps.logger.info({ err, origin, roomId, eventId: p }, 'could not get the state at a missing prev event');
    }
  }
  return out;
}

/**
 * Fills what is missing before `event` (from `origin`) as far as it can and returns what the room writer needs
 * to place it. Never throws: whatever cannot be filled leaves the event to be judged on the state we have.
 */
export async function fillGap(
  deps: FederationRoomsDeps,
  limiter: GapRateLimiter,
  origin: string,
  version: RoomVersion,
  roomId: RoomId,
  event: RoomEvent,
): Promise<GapFill> {
  try {
    if ((await deps.storage.rooms.getEvent(event.eventId)) !== undefined) return {};
    let missing = await missingPrevs(deps, event);
    if (missing.length === 0) return {};
    if (!limiter.tryTake(roomId, origin)) {
      deps.logger.info({ origin, roomId, eventId: event.eventId }, 'gap filling rate limited');
      return {};
    }
    let fetched: RoomEvent[] = [];
    try {
      fetched = await askMissingEvents(deps, origin, version, roomId, event);
    } catch (err) {
      deps.logger.info({ err, origin, roomId }, 'get_missing_events failed');
    }
    for (const e of fetched) {
      if ((await deps.storage.rooms.getEvent(e.eventId)) !== undefined) continue;
      // The oldest fetched events may still hang off events we lack: their state comes from the origin.
      const gap = await missingPrevs(deps, e);
      const prevStates = gap.length > 0 ? await statesOfMissingPrevs(deps, origin, version, roomId, gap) : undefined;
      try {
        await deps.rooms.receive(roomId, e, prevStates !== undefined ? { prevStates } : {});
      } catch (err) {
        deps.logger.info({ err, origin, eventId: e.eventId }, 'a missing event was rejected');
      }
    }
    missing = await missingPrevs(deps, event);
    if (missing.length === 0) return {};
    return { prevStates: await statesOfMissingPrevs(deps, origin, version, roomId, missing) };
  } catch (err) {
    deps.logger.warn({ err, origin, roomId, eventId: event.eventId }, 'filling a gap failed');
    return {};
  }
}
