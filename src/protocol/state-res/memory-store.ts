import type { EventId } from '../../types/ids.js';
import type { RoomEvent } from '../../types/pdu.js';
import { authEventIds, type StateResStore } from './store.js';

/**
 * A StateResStore over events held in memory (tests, benchmarks, resolving a fork fetched over federation
 * before it is persisted). Auth chains are computed by walking auth_events.
 */
export class MemoryStateResStore implements StateResStore {
  private readonly events = new Map<EventId, RoomEvent>();
  private readonly rejected = new Set<EventId>();
  /** Counters so callers (the benchmark, tests of batching) can see how the resolver used the store. */
  readonly calls = { getEvents: 0, getAuthChain: 0, getRejected: 0 };

  constructor(events: Iterable<RoomEvent> = []) {
    for (const e of events) this.add(e);
  }

  add(event: RoomEvent, opts: { rejected?: boolean } = {}): void {
    this.events.set(event.eventId, event);
    if (opts.rejected) this.rejected.add(event.eventId);
    else this.rejected.delete(event.eventId);
  }

  get size(): number {
    return this.events.size;
  }

  async getEvents(ids: Iterable<EventId>): Promise<Map<EventId, RoomEvent>> {
    this.calls.getEvents++;
    const out = new Map<EventId, RoomEvent>();
    for (const id of ids) {
      const ev = this.events.get(id);
      if (ev) out.set(id, ev);
    }
    return out;
  }

  async getAuthChain(ids: Iterable<EventId>): Promise<Set<EventId>> {
    this.calls.getAuthChain++;
    return this.walkAuthChain(ids);
  }

  async getRejected(ids: Iterable<EventId>): Promise<Set<EventId>> {
    this.calls.getRejected++;
    const out = new Set<EventId>();
    for (const id of ids) if (this.rejected.has(id)) out.add(id);
    return out;
  }

  /** Synchronous auth-chain walk: every event reachable through auth_events, excluding the starting events
   *  unless one is reachable from another. Missing events end their branch. */
  walkAuthChain(ids: Iterable<EventId>): Set<EventId> {
    const out = new Set<EventId>();
    const stack: EventId[] = [];
    for (const id of ids) {
      const ev = this.events.get(id);
      if (ev) stack.push(...authEventIds(ev.pdu));
    }
    while (stack.length > 0) {
      const id = stack.pop() as EventId;
      if (out.has(id)) continue;
      out.add(id);
      const ev = this.events.get(id);
      if (ev) for (const a of authEventIds(ev.pdu)) if (!out.has(a)) stack.push(a);
    }
    return out;
  }
}
