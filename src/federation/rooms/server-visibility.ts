import { historyVisibilityFrom, redactEvent, serverMayViewEvent, serverNameOf, splitStateKey, stateKey, type RoomVersion } from '../../protocol/index.js';
import type { RoomReadStore, StoredEvent } from '../../storage/interfaces/index.js';
import type { EventId } from '../../types/ids.js';
import type { Pdu } from '../../types/pdu.js';

// Which stored events a remote server may receive through /get_missing_events and /backfill: decided per event
// by the history visibility and the memberships of that server's users in the state before the event
// (protocol/history-visibility.ts). An event the server may not see goes out redacted, so that its DAG stays
// connected without its content; an event whose state we do not hold (an outlier) is not served at all.

/** The PDUs to send `serverName` for `events`, in the same order (wire form: without our unsigned data). */
export async function pdusForServer(store: RoomReadStore, version: RoomVersion, serverName: string, events: readonly StoredEvent[]): Promise<Pdu[]> {
  const visible = new Set((await filterEventsForServer(store, serverName, events)).map((e) => e.eventId));
  const out: Pdu[] = [];
  for (const ev of events) {
    if (ev.outlier || ev.rejectedReason !== null) continue;
    const { unsigned: _u, ...pdu } = ev.pdu;
    out.push(visible.has(ev.eventId) ? (pdu as Pdu) : redactEvent(version, pdu as Pdu));
  }
  return out;
}

export async function filterEventsForServer(store: RoomReadStore, serverName: string, events: readonly StoredEvent[]): Promise<StoredEvent[]> {
  const hvKey = stateKey('m.room.history_visibility', '');
  const out: StoredEvent[] = [];
  for (const ev of events) {
    if (ev.outlier || ev.rejectedReason !== null) continue;
    const state = await store.getStateIdsBeforeEvent(ev.eventId);
    if (state === undefined) continue;
    const wanted: EventId[] = [];
    const hvId = state.get(hvKey);
    if (hvId !== undefined) wanted.push(hvId);
    for (const [key, id] of state) {
      const [type, sk] = splitStateKey(key);
      if (type === 'm.room.member' && serverNameOf(sk) === serverName) wanted.push(id);
    }
    const loaded = await store.getEvents(wanted);
    const memberships: Array<[string, string]> = [];
    for (const id of wanted) {
      const e = loaded.get(id);
      if (e === undefined || e.pdu.type !== 'm.room.member' || typeof e.pdu.state_key !== 'string') continue;
      const m = e.pdu.content.membership;
      if (typeof m === 'string') memberships.push([e.pdu.state_key, m]);
    }
    const hv = historyVisibilityFrom(hvId !== undefined ? loaded.get(hvId)?.pdu.content : undefined);
    const event = { type: ev.pdu.type, content: ev.pdu.content, ...(typeof ev.pdu.state_key === 'string' ? { state_key: ev.pdu.state_key } : {}) };
    if (serverMayViewEvent({ serverName, event, historyVisibility: hv, memberships })) out.push(ev);
  }
  return out;
}
