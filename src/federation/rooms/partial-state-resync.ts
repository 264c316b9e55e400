import { findRoomVersion } from '../../protocol/index.js';
import type { RoomId } from '../../types/ids.js';
import type { RoomEvent } from '../../types/pdu.js';
import { federationPath } from '../outbound/index.js';
import { checkIncomingPdu } from './check-pdu.js';
import type { FederationRoomsDeps } from './deps.js';
import { fetchEvents, isEventOfRoom } from './fetch-remote-state.js';
import type { RoomVersion } from '../../protocol/index.js';
import type { EventId } from '../../types/ids.js';

// The background half of a partial-state join (MSC3902, as Synapse's faster joins): ask a resident server
// for the full state before our join (GET /state at the join event: one request, since nearly all of it is
// missing), check every event on receipt like any PDU, and hand the lot to the room writer, which stores it
// and ends the room's partial state. Servers are tried in turn (the one we joined through first), with a
// growing pause between rounds; rooms still partial at start are resumed, so a restart loses nothing.

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 5 * 60_000;

export interface PartialStateResyncer {
  /** Starts (or joins) the resync of a room; resolves when the room has its full state or we stop. */
  resync(roomId: RoomId): Promise<void>;
  /** Resumes every room still partial in storage (at start). */
  resumeAll(): Promise<void>;
  close(): void;
}

/** Some events could not be checked because their servers' keys could not be fetched just now. */
class KeysUnavailable extends Error {}

/**
 * Attempts that may fail on keys that could not be fetched before the resync keeps what it could check: a
 * server that stays unreachable (common in large public rooms) must not keep the room partial for ever.
 */
const MAX_KEY_RETRIES = 3;
/** Longer than the keyring's first backoff (10 s), so a retry can actually fetch the keys again. */
const KEY_RETRY_MS = 15_000;

async function fetchFullState(deps: FederationRoomsDeps, server: string, roomId: RoomId, joinEventId: string, dropUncheckable: boolean): Promise<{ state: RoomEvent[]; authChain: RoomEvent[] }> {
  const room = await deps.storage.rooms.getRoom(roomId);
  const version = room !== undefined ? findRoomVersion(room.roomVersion) : undefined;
  if (version === undefined) throw new Error(`room ${roomId} has no known version`);
  const res = await deps.federation.client.getJson(server, federationPath`/_matrix/federation/v1/state/${roomId}`, {
    query: { event_id: joinEventId },
    timeoutMs: 300_000,
  });
  const unreachable = new Set<string>();
  const check = async (list: unknown): Promise<RoomEvent[]> => {
    const out: RoomEvent[] = [];
    for (const json of Array.isArray(list) ? list : []) {
      const checked = await checkIncomingPdu(deps.federation.keyring, version, json);
      if (checked.ok && isEventOfRoom(version, checked.event, roomId)) out.push(checked.event);
      else if (!checked.ok) {
        if (checked.keyOf !== undefined && deps.federation.keyring.lastFetchFailed(checked.keyOf)) unreachable.add(checked.keyOf);
        else deps.logger.info({ server, roomId, reason: checked.reason }, 'dropping an invalid event of a /state answer');
      }
    }
    return out;
  };
  const result = { state: await check(res.pdus), authChain: await check(res.auth_chain) };
  // An event we could not check because its server's keys could not be fetched just now is not invalid: ending
  // the partial state without it would leave a member out for good. The attempt fails and is retried later,
  // a few times; after that such events are dropped like any event that fails its checks.
  if (unreachable.size > 0) {
    if (!dropUncheckable) throw new KeysUnavailable(`the keys of ${[...unreachable].join(', ')} could not be fetched; the resync will retry`);
    deps.logger.warn({ server, roomId, servers: [...unreachable] }, 'ending partial state without the events of servers whose keys stay unavailable');
  }
  return result;
}

/** How many links of auth events we follow back for an event of a partial-state room. */
const AUTH_DEPTH = 5;

/**
 * An event of a partial-state room usually names auth events we were never sent (the membership of a member
 * we do not know yet): they are fetched from `origin`, checked on receipt, and stored as outliers (each
 * only when its own auth events allow it), oldest links first, before the event itself is received.
 */
export async function fetchMissingAuthEvents(deps: FederationRoomsDeps, origin: string, version: RoomVersion, roomId: RoomId, event: RoomEvent): Promise<void> {
  if ((await deps.storage.rooms.getPartialStateRoom(roomId)) === undefined) return;
  const levels: RoomEvent[][] = [];
  let wanted = event.pdu.auth_events.map((r) => (typeof r === 'string' ? r : r[0]));
  const seen = new Set<EventId>();
  for (let depth = 0; depth < AUTH_DEPTH && wanted.length > 0; depth++) {
    const have = await deps.storage.rooms.getEvents(wanted);
    const missing = wanted.filter((id) => !have.has(id) && !seen.has(id));
    if (missing.length === 0) break;
    for (const id of missing) seen.add(id);
    const fetched = [...(await fetchEvents(deps, origin, version, roomId, missing)).values()];
    levels.push(fetched);
    wanted = fetched.flatMap((e) => e.pdu.auth_events.map((r) => (typeof r === 'string' ? r : r[0])));
  }
  for (const level of levels.reverse()) if (level.length > 0) await deps.rooms.storeOutliers(roomId, level);
}

export function createPartialStateResyncer(deps: FederationRoomsDeps): PartialStateResyncer {
  const running = new Map<RoomId, Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  /** 'done', 'retry', or 'keys' when an attempt failed on keys that could not be fetched. */
  async function attempt(roomId: RoomId, keyRetries: number): Promise<'done' | 'retry' | 'keys'> {
    const record = await deps.storage.rooms.getPartialStateRoom(roomId);
    if (record === undefined) return 'done';
    const servers = [...new Set([record.joinedVia, ...record.servers])].filter((s) => s !== deps.config.serverName);
    let keys = false;
    for (const server of servers) {
      if (closed) return 'done';
      try {
        const { state, authChain } = await fetchFullState(deps, server, roomId, record.joinEventId, keyRetries >= MAX_KEY_RETRIES);
        const outcome = await deps.rooms.completePartialState(roomId, state, authChain);
        deps.logger.info({ roomId, server, ...outcome, disallowed: outcome?.disallowed.length }, 'partial-state room resynchronised');
        return 'done';
      } catch (err) {
        if (err instanceof KeysUnavailable) {
          keys = true;
          // Another server's answer names the same events: wait for the keys instead.
          break;
        }
        deps.logger.info({ err, roomId, server }, 'partial-state resync attempt failed');
      }
    }
    return keys ? 'keys' : 'retry';
  }

  async function loop(roomId: RoomId): Promise<void> {
    let wait = FIRST_RETRY_MS;
    let keyRetries = 0;
    for (;;) {
      if (closed) return;
      const outcome = await attempt(roomId, keyRetries);
      if (outcome === 'done') return;
      if (outcome === 'keys') {
        keyRetries++;
        await sleep(KEY_RETRY_MS);
        continue;
      }
      await sleep(wait);
      wait = Math.min(MAX_RETRY_MS, wait * 2);
    }
  }

  function resync(roomId: RoomId): Promise<void> {
    const have = running.get(roomId);
    if (have !== undefined) return have;
    const p = loop(roomId)
      .catch((err: unknown) => deps.logger.error({ err, roomId }, 'partial-state resync failed'))
      .finally(() => running.delete(roomId));
    running.set(roomId, p);
    return p;
  }

  return {
    resync,
    async resumeAll() {
      for (const r of await deps.storage.rooms.getPartialStateRooms()) void resync(r.roomId);
    },
    close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
