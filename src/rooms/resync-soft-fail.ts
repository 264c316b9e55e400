import { serverNameOf, stateKey, type RoomVersion } from '../protocol/index.js';
import type { EventId } from '../types/ids.js';
import type { RoomEvent, StateKey } from '../types/pdu.js';

// Soft failure deferred by a partial-state join. While the room's state lacked its members, events from other
// servers were not soft-fail checked (remote-input.ts), as in Synapse's faster joins: a missing member could
// not be told from one who left. Once the resync knows the full state, each of them is checked as it would
// have been on arrival: against the room's current state then, made complete, which for the room's events in
// stream order is the full state after the last event before it that was not soft-failed. One that fails is
// soft-failed now: kept, but no longer served, a forward extremity, or part of the current state.

export interface ResyncedEvent {
  event: RoomEvent;
  /** Full state before and after the event, as the resync computed them. */
  stateBefore: ReadonlyMap<StateKey, EventId>;
  stateAfter: ReadonlyMap<StateKey, EventId>;
  /** Already soft-failed (or otherwise kept out of the live room) when it arrived. */
  softFailed: boolean;
}

export interface ResyncSoftFail {
  softFailed: EventId[];
  /** The current state without what the soft-failed events set. */
  currentState: Map<StateKey, EventId>;
  /** The forward extremities without soft-failed events (their nearest live ancestors instead). */
  forwardExtremities: EventId[];
}

/** Whether `event` is allowed by `state` (only the keys the auth rules look at are read). */
export type AllowedBy = (version: RoomVersion, event: RoomEvent, state: ReadonlyMap<StateKey, EventId>) => Promise<boolean>;

/**
 * `events`: the join and every event after it, in stream order (the join first). `ourServer`'s own events
 * were checked against the room's state when we built them and are not re-checked.
 */
export async function softFailAfterResync(
  version: RoomVersion,
  ourServer: string,
  events: readonly ResyncedEvent[],
  currentState: ReadonlyMap<StateKey, EventId>,
  forwardExtremities: readonly EventId[],
  allowedBy: AllowedBy,
): Promise<ResyncSoftFail> {
  const failed = new Set<EventId>();
  const current = new Map(currentState);
  let live: ReadonlyMap<StateKey, EventId> | null = null;
  for (const e of events) {
    const ours = serverNameOf(e.event.pdu.sender) === ourServer;
    if (live !== null && !e.softFailed && !ours && !(await allowedBy(version, e.event, live))) {
      failed.add(e.event.eventId);
      const sk = typeof e.event.pdu.state_key === 'string' ? stateKey(e.event.pdu.type, e.event.pdu.state_key) : null;
      if (sk !== null && current.get(sk) === e.event.eventId) {
        const previous = e.stateBefore.get(sk);
        if (previous !== undefined) current.set(sk, previous);
        else current.delete(sk);
      }
      continue;
    }
    if (!e.softFailed) live = e.stateAfter;
  }
  if (failed.size === 0) return { softFailed: [], currentState: current, forwardExtremities: [...forwardExtremities] };

  // A soft-failed extremity gives way to its prev events (the nearest ones since the join that are not
  // soft-failed); failing that, to the latest live event.
  const byId = new Map(events.map((e) => [e.event.eventId, e.event]));
  const extremities = new Set<EventId>();
  const pending = [...forwardExtremities];
  const seen = new Set<EventId>();
  while (pending.length > 0) {
    const id = pending.pop() as EventId;
    if (seen.has(id)) continue;
    seen.add(id);
    if (!failed.has(id)) {
      if (byId.has(id) || forwardExtremities.includes(id)) extremities.add(id);
      continue;
    }
    for (const ref of byId.get(id)?.pdu.prev_events ?? []) pending.push(typeof ref === 'string' ? ref : ref[0]);
  }
  if (extremities.size === 0) {
    const latest = [...events].reverse().find((e) => !e.softFailed && !failed.has(e.event.eventId));
    if (latest !== undefined) extremities.add(latest.event.eventId);
  }
  return { softFailed: [...failed], currentState: current, forwardExtremities: [...extremities] };
}
