import { authEventIds, authStateFromAuthEvents, checkAuthEvents, checkEventAuth, type RoomVersion } from '../protocol/index.js';
import type { RoomReadStore } from '../storage/interfaces/index.js';
import type { EventId, RoomId } from '../types/ids.js';
import type { RoomEvent } from '../types/pdu.js';

// Step 4 of the checks on receipt of a PDU (server-server API) for a batch of state and auth events whose
// place in the DAG we do not know: gap-filled state, the state and auth chain of a send_join answer and the
// full state of a partial-state resync. Each event must be allowed by its own auth events, taken from the
// batch (once they passed) or from the store; an event whose auth events failed or are absent fails too, so
// a forged or unauthorised event never becomes state, nor does anything that leans on it. The batch is
// walked in dependency order (auth events first), once, so a 10,000-member state costs linear time.

export interface OutlierVerdicts {
  /** Events that passed, auth events before the events they authorise. */
  accepted: RoomEvent[];
  /** Event id -> why it failed. */
  rejected: Map<EventId, string>;
}

export async function checkOutlierBatch(
  store: Pick<RoomReadStore, 'getEvents' | 'getCurrentStateEvent'>,
  version: RoomVersion,
  roomId: RoomId,
  events: Iterable<RoomEvent>,
): Promise<OutlierVerdicts> {
  const pending = new Map<EventId, RoomEvent>();
  for (const e of events) pending.set(e.eventId, e);
  const accepted = new Map<EventId, RoomEvent>();
  const rejected = new Map<EventId, string>();

  // Auth events outside the batch come from the store, all in one read (a rejected one counts as failed).
  const outside = new Set<EventId>();
  for (const e of pending.values()) for (const a of authEventIds(e)) if (!pending.has(a)) outside.add(a);
  const held = await store.getEvents(outside);

  // v12: the create event is implied by the room id, not listed; the batch's own (checked to be this room's
  // by the federation layer) or the one we hold.
  let implied: RoomEvent | undefined;
  if (version.createEventNotInAuthEvents) {
    for (const e of pending.values()) if (e.pdu.type === 'm.room.create' && e.pdu.state_key === '') implied = e;
    if (implied === undefined) {
      const create = await store.getCurrentStateEvent(roomId, 'm.room.create', '');
      if (create !== undefined) implied = { eventId: create.eventId, pdu: create.pdu };
    }
  }

  const check = (e: RoomEvent): string | null => {
    const authEvents: RoomEvent[] = [];
    for (const id of authEventIds(e)) {
      // A rejected one is passed too, so the verdict names it as rejected rather than missing.
      const ev = accepted.get(id) ?? held.get(id) ?? (rejected.has(id) ? pending.get(id) : undefined);
      if (ev !== undefined) authEvents.push({ eventId: id, pdu: ev.pdu });
    }
    const isRejected = (id: EventId): boolean => rejected.has(id) || (held.get(id)?.rejectedReason ?? null) !== null;
    const listed = checkAuthEvents(version, e, authEvents, { isRejected });
    if (!listed.allowed) return listed.reason;
    const verdict = checkEventAuth(version, e, authStateFromAuthEvents(authEvents, e.pdu.type === 'm.room.create' ? undefined : implied));
    return verdict.allowed ? null : verdict.reason;
  };

  // Kahn's order over auth edges inside the batch: an event is checked once all its batch auth events were.
  const waitingOn = new Map<EventId, number>();
  const dependents = new Map<EventId, EventId[]>();
  const ready: EventId[] = [];
  for (const [id, e] of pending) {
    let n = 0;
    for (const a of new Set(authEventIds(e))) {
      if (!pending.has(a)) continue;
      n++;
      const list = dependents.get(a);
      if (list === undefined) dependents.set(a, [id]);
      else list.push(id);
    }
    waitingOn.set(id, n);
    if (n === 0) ready.push(id);
  }
  // v12 events do not list the create event, so the order above does not put it first: check it up front.
  if (implied !== undefined && pending.has(implied.eventId)) {
    const reason = check(implied);
    if (reason === null) accepted.set(implied.eventId, implied);
    else {
      rejected.set(implied.eventId, reason);
      implied = undefined;
    }
  }
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    const e = pending.get(id) as RoomEvent;
    if (!accepted.has(id) && !rejected.has(id)) {
      const reason = check(e);
      if (reason === null) accepted.set(id, e);
      else rejected.set(id, reason);
    }
    for (const d of dependents.get(id) ?? []) {
      const left = (waitingOn.get(d) ?? 1) - 1;
      waitingOn.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  for (const [id, left] of waitingOn) if (left > 0) rejected.set(id, 'auth events form a cycle');
  return { accepted: [...accepted.values()], rejected };
}
