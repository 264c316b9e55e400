import {
  authStateFromAuthEvents,
  authStateKeysFor,
  checkAuthEvents,
  checkEventAuth,
  resolveState,
  stateKey,
  type RoomVersion,
} from '../protocol/index.js';
import type { EventToPersist, StoredEvent } from '../storage/interfaces/index.js';
import type { EventId, RoomId } from '../types/ids.js';
import type { RoomEvent, StateKey } from '../types/pdu.js';
import type { RoomServiceDeps } from './deps.js';
import type { RoomWriter } from './room-writer.js';
import { checkOutlierBatch } from './outlier-checks.js';
import { storeStateResStore } from './state-res-store.js';

// Events from other servers that are not news: outliers (state and auth events fetched to fill a gap, whose
// place in the DAG we do not know) and backfilled history (older timeline events). Both are checked like any
// PDU (against their auth events; history also against the state before it) and stored with negative stream
// orderings (RoomWriter.persistHistoric), so they change neither the current state nor what sync reports.

const CREATE_KEY = stateKey('m.room.create', '');

type StateMap = ReadonlyMap<StateKey, EventId>;

function refIds(refs: RoomEvent['pdu']['prev_events']): EventId[] {
  return refs.map((ref) => (typeof ref === 'string' ? ref : ref[0]));
}

function asRoomEvent(e: StoredEvent): RoomEvent {
  return { eventId: e.eventId, pdu: e.pdu };
}

export interface HistoryResult {
  stored: EventId[];
  /** Event id -> why it was not stored. */
  rejected: Map<EventId, string>;
}

export class RemoteHistory {
  constructor(
    private readonly deps: RoomServiceDeps,
    private readonly writer: RoomWriter,
  ) {}

  /** Events by id from `batch` first, then the store. */
  private async lookup(ids: readonly EventId[], batch: ReadonlyMap<EventId, RoomEvent>): Promise<Map<EventId, RoomEvent & { rejected: boolean }>> {
    const out = new Map<EventId, RoomEvent & { rejected: boolean }>();
    const rest: EventId[] = [];
    for (const id of ids) {
      const hit = batch.get(id);
      if (hit !== undefined) out.set(id, { ...hit, rejected: false });
      else rest.push(id);
    }
    if (rest.length > 0) for (const [id, e] of await this.deps.storage.rooms.getEvents(rest)) out.set(id, { ...asRoomEvent(e), rejected: e.rejectedReason !== null });
    return out;
  }

  /** Step 4 of the checks on receipt: the event is allowed by its own auth events. A reason when not. */
  private async checkAgainstAuthEvents(version: RoomVersion, roomId: RoomId, event: RoomEvent, batch: ReadonlyMap<EventId, RoomEvent>): Promise<string | null> {
    // (The federation layer checked that the event is of this room; a v12 create event names none.)
    const loaded = await this.lookup(refIds(event.pdu.auth_events), batch);
    const authEvents = [...loaded.values()];
    const check = checkAuthEvents(version, event, authEvents, { isRejected: (id) => loaded.get(id)?.rejected === true });
    if (!check.allowed) return check.reason;
    let implied: RoomEvent | undefined;
    if (version.createEventNotInAuthEvents && event.pdu.type !== 'm.room.create') {
      implied = [...batch.values()].find((e) => e.pdu.type === 'm.room.create' && e.pdu.state_key === '');
      if (implied === undefined) {
        const create = await this.deps.storage.rooms.getCurrentStateEvent(roomId, 'm.room.create', '');
        if (create !== undefined) implied = asRoomEvent(create);
      }
    }
    const verdict = checkEventAuth(version, event, authStateFromAuthEvents(authEvents, implied));
    return verdict.allowed ? null : verdict.reason;
  }

  /**
   * Stores state and auth events as outliers, each once its own auth events are known (from the batch or the
   * store) and allow it. Events already held are left alone; events that fail are not stored.
   */
  async storeOutliers(roomId: RoomId, events: readonly RoomEvent[]): Promise<HistoryResult> {
    return this.writer.locked(roomId, async () => {
      const version = await this.writer.roomVersion(roomId);
      const held = await this.deps.storage.rooms.getEvents(events.map((e) => e.eventId));
      const fresh = events.filter((e) => !held.has(e.eventId));
      const { accepted, rejected } = await checkOutlierBatch(this.deps.storage.rooms, version, roomId, fresh);
      const toPersist: EventToPersist[] = accepted.map((e) => ({
        eventId: e.eventId,
        pdu: e.pdu,
        roomId,
        depth: typeof e.pdu.depth === 'number' ? e.pdu.depth : 0,
        outlier: true,
        softFailed: false,
        rejectedReason: null,
        stateBefore: null,
      }));
      await this.writer.persistHistoric(roomId, toPersist);
      return { stored: accepted.map((e) => e.eventId), rejected };
    });
  }

  /**
   * Stores older timeline events (backfill). `prevStates` gives the state after prev events we do not hold
   * (fetched from the server we backfill from); every other prev event must be held or in the batch. Each
   * event is checked against its auth events and against the state before it; one that fails is not stored,
   * nor is any event after it that depends on it for its state. Events held as outliers become timeline
   * events. Stored newest-first orderings below everything, so older history pages back after newer.
   */
  async persistBackfilled(roomId: RoomId, events: readonly RoomEvent[], prevStates: ReadonlyMap<EventId, StateMap>): Promise<HistoryResult> {
    return this.writer.locked(roomId, async () => {
      const version = await this.writer.roomVersion(roomId);
      const { rooms } = this.deps.storage;
      const held = await rooms.getEvents(events.map((e) => e.eventId));
      const batch = new Map<EventId, RoomEvent>();
      for (const e of events) if (held.get(e.eventId)?.outlier !== false) batch.set(e.eventId, e);
      const ordered = [...batch.values()].sort((a, b) => Number(a.pdu.depth ?? 0) - Number(b.pdu.depth ?? 0));
      const result: HistoryResult = { stored: [], rejected: new Map() };
      const afterOf = new Map<EventId, StateMap>();
      const toPersist: EventToPersist[] = [];
      for (const e of ordered) {
        const reason = await this.checkHistoric(version, roomId, e, batch, afterOf, prevStates);
        if (typeof reason === 'string') {
          result.rejected.set(e.eventId, reason);
          batch.delete(e.eventId);
          continue;
        }
        const stateBefore = reason;
        const after = new Map(stateBefore);
        if (typeof e.pdu.state_key === 'string') after.set(stateKey(e.pdu.type, e.pdu.state_key), e.eventId);
        afterOf.set(e.eventId, after);
        result.stored.push(e.eventId);
        const depth = typeof e.pdu.depth === 'number' ? e.pdu.depth : 0;
        toPersist.push({ eventId: e.eventId, pdu: e.pdu, roomId, depth, outlier: false, softFailed: false, rejectedReason: null, stateBefore });
      }
      // Newest first: the writer hands out descending orderings in the order given.
      toPersist.reverse();
      await this.writer.persistHistoric(roomId, toPersist);
      return result;
    });
  }

  /** The state before a backfilled event when it passes the checks, else the reason it fails. */
  private async checkHistoric(
    version: RoomVersion,
    roomId: RoomId,
    e: RoomEvent,
    batch: ReadonlyMap<EventId, RoomEvent>,
    afterOf: ReadonlyMap<EventId, StateMap>,
    prevStates: ReadonlyMap<EventId, StateMap>,
  ): Promise<Map<StateKey, EventId> | string> {
    const byAuth = await this.checkAgainstAuthEvents(version, roomId, e, batch);
    if (byAuth !== null) return byAuth;
    const sets: StateMap[] = [];
    for (const p of refIds(e.pdu.prev_events)) {
      const state = afterOf.get(p) ?? prevStates.get(p) ?? (await this.deps.storage.rooms.getStateIdsAfterEvent(p));
      if (state === undefined) return `the state after prev event ${p} is unknown`;
      sets.push(state);
    }
    // Only the create event starts the DAG; its state before is empty.
    if (sets.length === 0 && e.pdu.type !== 'm.room.create') return 'no prev events';
    const stateBefore = sets.length <= 1 ? new Map(sets[0] ?? []) : await resolveState(version, sets.map((s) => new Map(s)), storeStateResStore(this.deps.storage.rooms, batch));
    const keys = new Set(authStateKeysFor(version, e.pdu));
    keys.add(CREATE_KEY);
    const wanted = [...keys].map((k) => stateBefore.get(k)).filter((id): id is EventId => id !== undefined);
    const loaded = await this.lookup(wanted, batch);
    const authState = new Map<StateKey, RoomEvent>();
    for (const k of keys) {
      const id = stateBefore.get(k);
      const ev = id !== undefined ? loaded.get(id) : undefined;
      if (ev !== undefined) authState.set(k, ev);
    }
    const verdict = checkEventAuth(version, e, authState);
    return verdict.allowed ? stateBefore : verdict.reason;
  }
}
