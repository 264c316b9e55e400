import { authStateKeysFor, checkEventAuth, findRoomVersion, stateKey, type RoomVersion } from '../protocol/index.js';
import type { EventToPersist } from '../storage/interfaces/index.js';
import type { EventId, RoomId } from '../types/ids.js';
import type { RoomEvent, StateKey } from '../types/pdu.js';
import type { RoomServiceDeps } from './deps.js';
import { checkOutlierBatch } from './outlier-checks.js';
import { softFailAfterResync, type ResyncedEvent } from './resync-soft-fail.js';
import type { RoomWriter } from './room-writer.js';
import type { PartialStateOutcome } from './types.js';

// The end of a partial-state join (MSC3902, as Synapse's faster joins): the resync fetched the full state
// before our join J (signatures already checked by the federation layer); under the room's lock we store the
// events we lacked, and give J and every event since it the full state. The partial state differs from the
// full one only by omitted keys (members), never by a different value for a key we hold, so each event's
// full state is the full state before J overlaid with the partial state we recorded for it (keys changed
// since J keep their newer value). The current state is computed the same way.
//
// Simplification (documented in the README): events accepted while partial are re-checked against their
// full state before, and the ones it does not allow are reported (logged, returned) but stay in the room;
// Synapse would reject them retroactively. The soft-fail check skipped while partial is made now, against
// the complete state (resync-soft-fail.ts): events it fails are soft-failed.

const CREATE_KEY = stateKey('m.room.create', '');
const PAGE = 500;

function overlay(full: ReadonlyMap<StateKey, EventId>, partial: ReadonlyMap<StateKey, EventId>): Map<StateKey, EventId> {
  const out = new Map(full);
  for (const [k, v] of partial) out.set(k, v);
  return out;
}

async function allowedBy(deps: RoomServiceDeps, version: RoomVersion, event: RoomEvent, state: ReadonlyMap<StateKey, EventId>, extra: ReadonlyMap<EventId, RoomEvent>): Promise<boolean> {
  const keys = new Set(authStateKeysFor(version, event.pdu));
  keys.add(CREATE_KEY);
  const ids = new Map<StateKey, EventId>();
  for (const k of keys) {
    const id = state.get(k);
    if (id !== undefined) ids.set(k, id);
  }
  const missing = [...ids.values()].filter((id) => !extra.has(id));
  const loaded = await deps.storage.rooms.getEvents(missing);
  const authState = new Map<StateKey, RoomEvent>();
  for (const [k, id] of ids) {
    const e = extra.get(id) ?? loaded.get(id);
    if (e !== undefined) authState.set(k, { eventId: id, pdu: e.pdu });
  }
  return checkEventAuth(version, event, authState).allowed;
}

export async function completePartialState(
  deps: RoomServiceDeps,
  writer: RoomWriter,
  roomId: RoomId,
  state: readonly RoomEvent[],
  authChain: readonly RoomEvent[],
): Promise<PartialStateOutcome | null> {
  return writer.locked(roomId, async () => {
    const { rooms } = deps.storage;
    const record = await rooms.getPartialStateRoom(roomId);
    if (record === undefined) return null;
    const room = await rooms.getRoom(roomId);
    const version = room !== undefined ? findRoomVersion(room.roomVersion) : undefined;
    const join = await rooms.getEvent(record.joinEventId);
    if (version === undefined || join === undefined) throw new Error(`partial-state room ${roomId} lacks its room or join event`);

    const all = new Map<EventId, RoomEvent>();
    for (const e of [...authChain, ...state]) all.set(e.eventId, e);
    const existing = await rooms.getEvents(all.keys());
    // The full state is checked like any received state: each event against its own auth events; one that
    // fails (or rests on one that does) is not stored and does not become state.
    const fresh = [...all.values()].filter((e) => !existing.has(e.eventId));
    const { accepted, rejected } = await checkOutlierBatch(rooms, version, roomId, fresh);
    if (rejected.size > 0) deps.logger.warn({ roomId, rejected: rejected.size, first: rejected.entries().next().value }, 'the resynchronised state held events that fail their auth checks; left out');
    for (const id of rejected.keys()) all.delete(id);
    const outliers: EventToPersist[] = accepted.map((e) => ({ eventId: e.eventId, pdu: e.pdu, roomId, depth: typeof e.pdu.depth === 'number' ? e.pdu.depth : 0, outlier: true, softFailed: false, rejectedReason: null, stateBefore: null }));

    const fullBeforeJoin = new Map<StateKey, EventId>();
    // The federation layer kept only events of this room (a v12 create event names no room_id).
    for (const e of state) {
      if (typeof e.pdu.state_key !== 'string' || rejected.has(e.eventId) || (existing.get(e.eventId)?.rejectedReason ?? null) !== null) continue;
      fullBeforeJoin.set(stateKey(e.pdu.type, e.pdu.state_key), e.eventId);
    }
    if (!fullBeforeJoin.has(CREATE_KEY)) throw new Error(`the state of ${roomId} before ${record.joinEventId} has no create event`);

    // J and every timeline event after it, in stream order.
    const eventStates: Array<{ eventId: EventId; stateBefore: Map<StateKey, EventId>; stateAfter: Map<StateKey, EventId> }> = [];
    const disallowed: EventId[] = [];
    const timeline: ResyncedEvent[] = [];
    const max = await rooms.getMaxStreamOrdering();
    let from = join.streamOrdering - 1;
    for (;;) {
      const page = await rooms.getRoomEventsInRange(roomId, from, max, 'f', PAGE);
      for (const e of page) {
        const before = await rooms.getStateIdsBeforeEvent(e.eventId);
        const after = await rooms.getStateIdsAfterEvent(e.eventId);
        if (before === undefined || after === undefined) continue;
        const fullBefore = overlay(fullBeforeJoin, before);
        const fullAfter = overlay(fullBeforeJoin, after);
        eventStates.push({ eventId: e.eventId, stateBefore: fullBefore, stateAfter: fullAfter });
        timeline.push({ event: { eventId: e.eventId, pdu: e.pdu }, stateBefore: fullBefore, stateAfter: fullAfter, softFailed: e.softFailed });
        if (e.eventId !== join.eventId && !(await allowedBy(deps, version, { eventId: e.eventId, pdu: e.pdu }, fullBefore, all))) disallowed.push(e.eventId);
      }
      if (page.length < PAGE) break;
      from = (page[page.length - 1] as { streamOrdering: number }).streamOrdering;
    }
    if (disallowed.length > 0) {
      deps.logger.warn({ roomId, events: disallowed }, 'events accepted with partial state are not allowed by the full state; they stay in the room');
    }
    const current = overlay(fullBeforeJoin, await rooms.getCurrentStateIds(roomId));
    const soft = await softFailAfterResync(version, deps.config.serverName, timeline, current, await rooms.getForwardExtremities(roomId), (v, ev, st) => allowedBy(deps, v, ev, st, all));
    if (soft.softFailed.length > 0) {
      deps.logger.warn({ roomId, events: soft.softFailed }, 'events accepted with partial state fail the soft-fail check against the full state; soft-failed');
    }
    await writer.completePartialState(roomId, outliers, eventStates, soft.currentState, soft.softFailed.length > 0 ? { softFailed: soft.softFailed, forwardExtremities: soft.forwardExtremities } : undefined);
    return { added: outliers.length, rechecked: eventStates.length, disallowed, softFailed: soft.softFailed };
  });
}
