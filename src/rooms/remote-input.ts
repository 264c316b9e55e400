import { forbidden, MatrixError } from '../errors/index.js';
import {
  authStateFromAuthEvents,
  authStateKeysFor,
  checkAuthEvents,
  checkEventAuth,
  powerLevelsView,
  resolveState,
  serverNameOf,
  stateKey,
  type RoomVersion,
} from '../protocol/index.js';
import type { EventToPersist, StoredEvent } from '../storage/interfaces/index.js';
import type { EventId, RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { Pdu, RoomEvent, StateKey } from '../types/pdu.js';
import type { RoomServiceDeps } from './deps.js';
import { RoomDraft } from './room-draft.js';
import { checkOutlierBatch } from './outlier-checks.js';
import { restrictedJoinAuthoriser } from './restricted-join.js';
import type { RoomWriter } from './room-writer.js';
import { storeStateResStore } from './state-res-store.js';

// The writer's entry for events that other servers built (server-server API, "Checks performed on
// receipt of a PDU", steps 4-6): the federation layer has already checked format, signatures and hashes;
// here, under the room's lock, the event is authorised against its auth events, then against the state
// before it (resolved over its prev_events), and soft-failed when the current state would not allow it.
// Rejected events are not stored, so they change nothing.

export type RemoteEventOutcome = 'accepted' | 'soft_failed' | 'duplicate';

export interface ReceiveOptions {
  /** The state after prev events we do not hold, as fetched from another server (fill-gap.ts). */
  prevStates?: ReadonlyMap<EventId, ReadonlyMap<StateKey, EventId>>;
}

export interface RemoteEventResult {
  outcome: RemoteEventOutcome;
}

const CREATE_KEY = stateKey('m.room.create', '');

function refIds(refs: Pdu['prev_events'] | Pdu['auth_events']): EventId[] {
  return refs.map((ref) => (typeof ref === 'string' ? ref : ref[0]));
}

/** `state` with the keys it lacks filled in from `authEvents` (partial-state rooms). */
function withAuthEvents(state: ReadonlyMap<StateKey, EventId>, authEvents: readonly RoomEvent[]): Map<StateKey, EventId> {
  const out = new Map(state);
  for (const e of authEvents) {
    if (typeof e.pdu.state_key !== 'string') continue;
    const key = stateKey(e.pdu.type, e.pdu.state_key);
    if (!out.has(key)) out.set(key, e.eventId);
  }
  return out;
}

const rejected = (reason: string) => new MatrixError('M_FORBIDDEN', 403, `Event rejected: ${reason}`);

export class RemoteInput {
  constructor(
    private readonly deps: RoomServiceDeps,
    private readonly writer: RoomWriter,
  ) {}

  /** Whether this server knows the room (has joined it at some point). */
  async knowsRoom(roomId: RoomId): Promise<boolean> {
    return (await this.deps.storage.rooms.getRoom(roomId)) !== undefined;
  }

  /** Loads events as RoomEvents (from the store). */
  private async load(ids: Iterable<EventId>): Promise<Map<EventId, StoredEvent>> {
    return this.deps.storage.rooms.getEvents(ids);
  }

  /** Authorises `event` against a state map (type/state_key -> id); a reason when it is not allowed. */
  private async authAgainst(version: RoomVersion, event: RoomEvent, state: ReadonlyMap<StateKey, EventId>): Promise<string | null> {
    const keys = new Set(authStateKeysFor(version, event.pdu));
    keys.add(CREATE_KEY);
    const ids = new Map<StateKey, EventId>();
    for (const k of keys) {
      const id = state.get(k);
      if (id !== undefined) ids.set(k, id);
    }
    const loaded = await this.load(ids.values());
    const authState = new Map<StateKey, RoomEvent>();
    for (const [k, id] of ids) {
      const ev = loaded.get(id);
      if (ev !== undefined) authState.set(k, { eventId: id, pdu: ev.pdu });
    }
    const verdict = checkEventAuth(version, event, authState);
    return verdict.allowed ? null : verdict.reason;
  }

  /** Receives one event of a room we know. Throws M_FORBIDDEN when it is rejected (nothing is stored). */
  async receive(roomId: RoomId, event: RoomEvent, opts: ReceiveOptions = {}): Promise<RemoteEventResult> {
    return this.writer.locked(roomId, async () => {
      const version = await this.writer.roomVersion(roomId);
      const { rooms } = this.deps.storage;
      if ((await rooms.getEvent(event.eventId)) !== undefined) return { outcome: 'duplicate' as const };
      const current = await rooms.getCurrentStateIds(roomId);

      // 4. Authorised by its own auth events.
      const authIds = refIds(event.pdu.auth_events);
      const authLoaded = await this.load(authIds);
      const authEvents: RoomEvent[] = [...authLoaded.values()].map((e) => ({ eventId: e.eventId, pdu: e.pdu }));
      const check = checkAuthEvents(version, event, authEvents, { isRejected: (id) => authLoaded.get(id)?.rejectedReason != null });
      if (!check.allowed) throw rejected(check.reason);
      let implied: RoomEvent | undefined;
      if (version.createEventNotInAuthEvents) {
        const createId = current.get(CREATE_KEY);
        const createEv = createId !== undefined ? (await this.load([createId])).get(createId) : undefined;
        if (createEv !== undefined) implied = { eventId: createEv.eventId, pdu: createEv.pdu };
      }
      const byAuth = checkEventAuth(version, event, authStateFromAuthEvents(authEvents, implied));
      if (!byAuth.allowed) throw rejected(byAuth.reason);

      // 5. Authorised by the state before it (the states after its prev_events, resolved).
      const prevIds = refIds(event.pdu.prev_events);
      const sets: Array<Map<StateKey, EventId>> = [];
      for (const p of prevIds) {
        const after = (await rooms.getStateIdsAfterEvent(p)) ?? opts.prevStates?.get(p);
        if (after !== undefined) sets.push(new Map(after));
      }
      // Prev events we do not hold (a gap): their state is unknown, so the current state stands in for it.
      if (sets.length === 0) sets.push(current);
      const stateRes = storeStateResStore(rooms);
      const stateBefore = sets.length === 1 ? (sets[0] as Map<StateKey, EventId>) : await resolveState(version, sets, stateRes);
      // In a room joined with partial state the state lacks most members: their keys are taken from the
      // event's own auth events (already checked in step 4), and soft failure is not applied, as Synapse's
      // faster joins do. The resync re-checks these events against the full state.
      const partial = (await rooms.getPartialStateRoom(roomId)) !== undefined;
      const authBasis = partial ? withAuthEvents(stateBefore, authEvents) : stateBefore;
      const beforeReason = await this.authAgainst(version, event, authBasis);
      if (beforeReason !== null) throw rejected(beforeReason);

      // 6. Soft-fail: stored, but not part of the live room, when the current state forbids it.
      const softFailed = !partial && (await this.authAgainst(version, event, current)) !== null;

      const stateKeyOf = typeof event.pdu.state_key === 'string' ? stateKey(event.pdu.type, event.pdu.state_key) : null;
      const stateAfter = new Map(stateBefore);
      if (stateKeyOf !== null) stateAfter.set(stateKeyOf, event.eventId);

      const extremities = await rooms.getForwardExtremities(roomId);
      let newExtremities: EventId[] | null = null;
      let newState: Map<StateKey, EventId> | null = null;
      if (!softFailed) {
        newExtremities = [...extremities.filter((x) => !prevIds.includes(x)), event.eventId];
        const coversAll = extremities.every((x) => prevIds.includes(x));
        newState = coversAll ? stateAfter : await resolveState(version, [current, stateAfter], storeStateResStore(rooms, new Map([[event.eventId, event]])));
      }
      const prevDepth = [...(await this.load(prevIds)).values()].reduce((m, e) => Math.max(m, e.depth), 0);
      const toPersist: EventToPersist = {
        eventId: event.eventId,
        pdu: event.pdu,
        roomId,
        depth: Math.min(Math.max(prevDepth + 1, typeof event.pdu.depth === 'number' ? event.pdu.depth : 0), Number.MAX_SAFE_INTEGER),
        outlier: false,
        softFailed,
        rejectedReason: null,
        stateBefore,
        ...(event.pdu.type === 'm.room.redaction' ? { redactionApplies: await this.redactionApplies(version, event, stateBefore) } : {}),
      };
      await this.writer.persistEvents(roomId, [toPersist], newExtremities, newState);
      return { outcome: softFailed ? ('soft_failed' as const) : ('accepted' as const) };
    });
  }

  /** A redaction applies now when its sender's server sent the target, or the sender has the redact level. */
  private async redactionApplies(version: RoomVersion, event: RoomEvent, state: ReadonlyMap<StateKey, EventId>): Promise<boolean> {
    const inContent = event.pdu.content.redacts;
    const target = typeof inContent === 'string' ? inContent : typeof event.pdu.redacts === 'string' ? event.pdu.redacts : undefined;
    if (target === undefined) return false;
    const stored = await this.deps.storage.rooms.getEvent(target);
    if (stored === undefined || stored.roomId !== event.pdu.room_id) return false;
    if (stored.pdu.type === 'm.room.create') return false;
    if (serverNameOf(stored.pdu.sender) === serverNameOf(event.pdu.sender)) return true;
    const plId = state.get(stateKey('m.room.power_levels', ''));
    const createId = state.get(CREATE_KEY);
    const loaded = await this.load([plId, createId].filter((x): x is EventId => x !== undefined));
    const asEvent = (id: EventId | undefined): RoomEvent | undefined => {
      const e = id !== undefined ? loaded.get(id) : undefined;
      return e !== undefined ? { eventId: e.eventId, pdu: e.pdu } : undefined;
    };
    const pl = powerLevelsView(version, asEvent(plId), asEvent(createId));
    return pl.userLevel(event.pdu.sender) >= pl.redact;
  }

  /**
   * make_join / make_leave / make_knock: the unsigned membership event `userId` would send now, if the
   * current state allows it (M_FORBIDDEN otherwise).
   */
  async membershipTemplate(roomId: RoomId, userId: UserId, membership: 'join' | 'leave' | 'knock', content: JsonObject = {}): Promise<{ event: Record<string, unknown>; version: RoomVersion }> {
    return this.writer.locked(roomId, async () => {
      const version = await this.writer.roomVersion(roomId);
      const draft = await RoomDraft.load(this.writer.draftContext, version, roomId);
      // A restricted room's join names one of our members who could have invited the joiner.
      const via = membership === 'join' ? await restrictedJoinAuthoriser(this.deps, draft, userId) : undefined;
      const proto = {
        type: 'm.room.member',
        sender: userId,
        stateKey: userId,
        content: { ...content, membership, ...(via !== undefined ? { join_authorised_via_users_server: via } : {}) },
      };
      const event = await draft.template(proto);
      const asEvent: RoomEvent = { eventId: '$template', pdu: { ...event, hashes: { sha256: '' }, signatures: {} } as unknown as Pdu };
      const verdict = checkEventAuth(version, asEvent, await draft.authState(asEvent.pdu));
      if (!verdict.allowed) throw forbidden(`You are not allowed to ${membership} this room: ${verdict.reason}`);
      return { event, version };
    });
  }

  /**
   * send_join of a restricted join naming one of our users: throws unless `userId` still qualifies (joined to
   * an allowed room, as far as we know), so that our countersignature vouches only for what we checked.
   */
  async checkRestrictedJoin(roomId: RoomId, userId: UserId): Promise<void> {
    await this.writer.locked(roomId, async () => {
      const version = await this.writer.roomVersion(roomId);
      const draft = await RoomDraft.load(this.writer.draftContext, version, roomId);
      await restrictedJoinAuthoriser(this.deps, draft, userId);
    });
  }

  /**
   * A join to a remote room completed (send_join): stores the room, the state before the join and its auth
   * chain as outliers, then the join itself as the room's first timeline event with that state. With
   * `partial` the state lacks the members (omit_members) and the room is marked partial-state until the
   * resync (completePartialState) stores the rest.
   */
  async persistJoinedRoom(
    roomId: RoomId,
    version: RoomVersion,
    state: readonly RoomEvent[],
    authChain: readonly RoomEvent[],
    join: RoomEvent,
    partial?: { joinedVia: string; servers: readonly string[] },
  ): Promise<void> {
    await this.writer.locked(roomId, async () => {
      const { rooms } = this.deps.storage;
      const known = await rooms.getRoom(roomId);
      const all = new Map<EventId, RoomEvent>();
      for (const e of [...authChain, ...state]) if (e.eventId !== join.eventId) all.set(e.eventId, e);
      const existing = await rooms.getEvents(all.keys());
      // Every event of the answer passes the auth rules against its own auth events before it is stored or
      // becomes state; the ones that fail (and those resting on them) are left out.
      const fresh = [...all.values()].filter((e) => !existing.has(e.eventId));
      const { accepted, rejected: failed } = await checkOutlierBatch(rooms, version, roomId, fresh);
      if (failed.size > 0) this.deps.logger.warn({ roomId, rejected: failed.size, first: failed.entries().next().value }, 'send_join answer held events that fail their auth checks; left out');
      const outliers: EventToPersist[] = accepted.map((e) => ({ eventId: e.eventId, pdu: e.pdu, roomId, depth: typeof e.pdu.depth === 'number' ? e.pdu.depth : 0, outlier: true, softFailed: false, rejectedReason: null, stateBefore: null }));
      const usable = (id: EventId): boolean => !failed.has(id) && (existing.get(id)?.rejectedReason ?? null) === null;
      const stateBefore = new Map<StateKey, EventId>();
      for (const e of state) if (typeof e.pdu.state_key === 'string' && usable(e.eventId)) stateBefore.set(stateKey(e.pdu.type, e.pdu.state_key), e.eventId);
      const createId = stateBefore.get(CREATE_KEY);
      const create = createId !== undefined ? all.get(createId) : undefined;
      if (create === undefined) throw new MatrixError('M_BAD_JSON', 502, 'The resident server sent no valid create event');
      // Our join must be allowed by its auth events (of the answer, checked above).
      const joinAuth: RoomEvent[] = [];
      for (const id of refIds(join.pdu.auth_events)) {
        const e = usable(id) ? all.get(id) : undefined;
        if (e !== undefined) joinAuth.push(e);
      }
      const joinListed = checkAuthEvents(version, join, joinAuth, { isRejected: (id) => !usable(id) });
      const joinVerdict = joinListed.allowed ? checkEventAuth(version, join, authStateFromAuthEvents(joinAuth, version.createEventNotInAuthEvents ? create : undefined)) : joinListed;
      if (!joinVerdict.allowed) throw new MatrixError('M_UNKNOWN', 502, `The resident server's answer does not allow the join: ${joinVerdict.reason}`);
      const joinKnown = (await rooms.getEvent(join.eventId)) !== undefined;
      const after = new Map(stateBefore);
      after.set(stateKey('m.room.member', join.pdu.state_key ?? ''), join.eventId);
      const events = [...outliers];
      if (!joinKnown) {
        events.push({ eventId: join.eventId, pdu: join.pdu, roomId, depth: typeof join.pdu.depth === 'number' ? join.pdu.depth : 1, outlier: false, softFailed: false, rejectedReason: null, stateBefore });
      }
      const row = known === undefined ? { roomId, roomVersion: version.id, creator: create.pdu.sender, isPublic: false, createdTs: this.deps.now() } : undefined;
      const partialState = partial !== undefined ? { roomId, joinEventId: join.eventId, joinedVia: partial.joinedVia, servers: [...partial.servers] } : undefined;
      await this.writer.persistEvents(roomId, events, [join.eventId], after, row, partialState);
    });
  }

  /**
   * A membership event of a room this server has no joined member in (an invite of one of our users that
   * came through /invite, or the leave that rejected it): stored as an outlier, and the user's current
   * membership set from it, so /sync shows the invite (or its end) without our holding the room's state.
   */
  async storeOutOfRoomMembership(roomId: RoomId, version: RoomVersion, event: RoomEvent): Promise<void> {
    await this.writer.locked(roomId, async () => {
      const { rooms } = this.deps.storage;
      if ((await rooms.getEvent(event.eventId)) !== undefined) return;
      const known = await rooms.getRoom(roomId);
      const state = known !== undefined ? await rooms.getCurrentStateIds(roomId) : new Map<StateKey, EventId>();
      state.set(stateKey('m.room.member', event.pdu.state_key ?? ''), event.eventId);
      const row = known === undefined ? { roomId, roomVersion: version.id, creator: null, isPublic: false, createdTs: this.deps.now() } : undefined;
      const toPersist: EventToPersist = {
        eventId: event.eventId,
        pdu: event.pdu,
        roomId,
        depth: typeof event.pdu.depth === 'number' ? event.pdu.depth : 0,
        outlier: true,
        softFailed: false,
        rejectedReason: null,
        stateBefore: null,
      };
      await this.writer.persistEvents(roomId, [toPersist], null, state, row);
    });
  }
}
