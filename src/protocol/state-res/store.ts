import type { EventId } from '../../types/ids.js';
import type { Pdu, RoomEvent } from '../../types/pdu.js';

/** What state resolution needs from storage. Implementations batch; the resolver calls each method a few times per
 *  phase, never once per event. */
export interface StateResStore {
  /** Events by id; missing ids are simply absent from the result. */
  getEvents(ids: Iterable<EventId>): Promise<Map<EventId, RoomEvent>>;
  /** The full auth chain (transitive closure over auth_events) of the given events, as event ids. */
  getAuthChain(ids: Iterable<EventId>): Promise<Set<EventId>>;
  /** Of the given ids, those that were rejected on receipt. Optional: a store without it has no rejected events.
   *  The iterative auth checks must not use a rejected event as an auth event (spec, "Rejected events"). */
  getRejected?(ids: Iterable<EventId>): Promise<Set<EventId>>;
}

/** The event ids of a PDU's auth_events, whichever shape the room version uses. Hot: called for every edge
 *  walked, so the common bare-id shape (v3+) is returned without copying. */
export function authEventIds(pdu: Pdu): readonly EventId[] {
  const refs = pdu.auth_events;
  if (refs.every((ref) => typeof ref === 'string')) return refs as readonly EventId[];
  return refs.map((ref) => (typeof ref === 'string' ? ref : ref[0]));
}

/**
 * Per-resolution cache in front of a StateResStore. Phases ask for whole batches with `load`, then read
 * synchronously with `get`, so the number of store round trips stays proportional to the number of phases.
 */
export class EventCache {
  private readonly events = new Map<EventId, RoomEvent>();
  private readonly missing = new Set<EventId>();
  private readonly rejected = new Set<EventId>();

  constructor(private readonly store: StateResStore) {}

  async load(ids: Iterable<EventId>): Promise<void> {
    const wanted: EventId[] = [];
    for (const id of ids) {
      if (!this.events.has(id) && !this.missing.has(id)) wanted.push(id);
    }
    if (wanted.length === 0) return;
    const found = await this.store.getEvents(wanted);
    for (const id of wanted) {
      const ev = found.get(id);
      if (ev) this.events.set(id, ev);
      else this.missing.add(id);
    }
    if (this.store.getRejected) {
      for (const id of await this.store.getRejected(wanted)) this.rejected.add(id);
    }
  }

  get(id: EventId): RoomEvent | undefined {
    return this.events.get(id);
  }

  /** Like get, for ids the caller has already loaded and filtered to present ones. */
  require(id: EventId): RoomEvent {
    const ev = this.events.get(id);
    if (!ev) throw new Error(`state resolution: event ${id} was not loaded`);
    return ev;
  }

  isRejected(id: EventId): boolean {
    return this.rejected.has(id);
  }

  /** Loads the auth events of every given (already loaded) event. */
  async loadAuthEventsOf(ids: Iterable<EventId>): Promise<void> {
    const wanted: EventId[] = [];
    for (const id of ids) {
      const ev = this.events.get(id);
      if (ev) wanted.push(...authEventIds(ev.pdu));
    }
    await this.load(wanted);
  }
}
