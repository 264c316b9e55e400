import { notFound } from '../errors/index.js';
import { findRoomVersion, type RoomVersion } from '../protocol/index.js';
import type { EventToPersist, PartialStateRoom, RoomRow } from '../storage/interfaces/index.js';
import type { EventId, RoomId } from '../types/ids.js';
import type { StateKey } from '../types/pdu.js';
import type { RoomServiceDeps } from './deps.js';
import { createRowDeriver } from './derived-rows.js';
import { GroupCommitter, type BatchOrigin, type Lineage } from './group-commit.js';
import { RoomDraft, type DraftContext } from './room-draft.js';
import { RoomLocks } from './room-lock.js';

// The one place that persists room events: takes the room's lock, loads a draft, lets the caller append
// events, persists them in one transaction with stream orderings from the events stream, marks the
// orderings done after commit and only then publishes the notices (see room-lock.ts for the lock order).
//
// The draft a flow persisted is kept for the room's next flow: loading one reads the room's whole current
// state, its extremities and the auth events, which was most of the reads of a message send. Every other
// path that writes a room (events received over federation, a partial-state resync) goes through this
// writer and drops the room's kept draft, so the next flow loads from the database. (Checking the database's
// extremities against the draft's on every flow cost a round trip per message on PostgreSQL.)
//
// Writes go through a group commit (group-commit.ts). A flow appends under the lock, queues its events and
// releases the lock; it resolves only after the commit. The room's next flow continues on the kept draft
// meanwhile, so a burst of sends to one room is built while the previous ones are being committed and they
// share one transaction. While a room has uncommitted events its draft is ahead of the database, so
// everything that reads the room from the database instead of the draft (`locked`, a fresh draft) first waits
// for them to settle. A failed commit poisons the draft (see Lineage).

/** Rooms whose draft is kept (most recently written); a draft holds the room's current state ids. */
const MAX_KEPT_DRAFTS = 256;
/** Room versions never change; this only bounds the map. */
const MAX_KEPT_VERSIONS = 10_000;

type TxnKey = { userId: string; deviceId: string; txnId: string };
const txnKey = (t: TxnKey) => `${t.userId}\u0000${t.deviceId}\u0000${t.txnId}`;

export class RoomWriter {
  private readonly locks = new RoomLocks();
  private readonly drafts = new Map<RoomId, RoomDraft>();
  private readonly versions = new Map<RoomId, RoomVersion>();
  /** Drafts whose commit failed; their later events build on events that never landed. */
  private readonly lineages = new WeakMap<RoomDraft, Lineage>();
  /**
   * Kept drafts handed to a flow and not persisted since: nothing but this writer changed their room since
   * their last commit, so a reader that followed that commit may go on from it (derived-rows.ts).
   */
  private readonly continued = new WeakSet<RoomDraft>();
  /** Client transactions queued but not committed yet, so a retry racing the commit finds its event. */
  private readonly pendingTxns = new Map<string, Promise<EventId | undefined>>();
  private readonly committer: GroupCommitter;
  readonly draftContext: DraftContext;
  /** The lowest stream ordering handed out so far (seeded from the store on first use); see persistHistoric. */
  private lowestOrdering: Promise<number> | null = null;

  constructor(private readonly deps: RoomServiceDeps) {
    this.committer = new GroupCommitter(
      deps.storage,
      createRowDeriver({
        ...(deps.pushActions ? { push: deps.pushActions } : {}),
        ...(deps.indexAdvanced ? { indexAdvanced: deps.indexAdvanced } : {}),
        logger: deps.logger,
        now: deps.now,
      }),
    );
    let lastCreateTs = 0;
    this.draftContext = {
      serverName: deps.config.serverName,
      signingKey: deps.signingKey,
      store: deps.storage.rooms,
      now: deps.now,
      createTs: () => {
        lastCreateTs = Math.max(deps.now(), lastCreateTs + 1);
        return lastCreateTs;
      },
    };
  }

  /** The room's version record; 404 M_NOT_FOUND for a room this server does not know. */
  async roomVersion(roomId: RoomId): Promise<RoomVersion> {
    const known = this.versions.get(roomId);
    if (known !== undefined) return known;
    const room = await this.deps.storage.rooms.getRoom(roomId);
    if (room === undefined) throw notFound(`Room ${roomId} not found`);
    const version = findRoomVersion(room.roomVersion);
    if (version === undefined) throw new Error(`room ${roomId} has unsupported version ${room.roomVersion}`);
    this.versions.set(roomId, version);
    if (this.versions.size > MAX_KEPT_VERSIONS) this.versions.delete(this.versions.keys().next().value as RoomId);
    return version;
  }

  /** The kept draft of the room, else a freshly loaded one. */
  private async takeDraft(version: RoomVersion, roomId: RoomId): Promise<RoomDraft> {
    const kept = this.drafts.get(roomId);
    this.drafts.delete(roomId);
    // Only this writer writes a room's events and extremities (the store's room writes are called from here
    // alone), and every write but a flow's own commit drops the room's kept draft: a kept draft that did not
    // fail ends where the database does, or will once its pending events commit.
    if (kept !== undefined && kept.version.id === version.id && this.lineages.get(kept)?.failed !== true) return this.continue(kept);
    await this.committer.settled(roomId);
    return RoomDraft.load(this.draftContext, version, roomId);
  }

  private continue(draft: RoomDraft): RoomDraft {
    this.continued.add(draft);
    return draft;
  }

  private keepDraft(draft: RoomDraft): void {
    draft.prepareForReuse();
    this.drafts.set(draft.roomId, draft);
    if (this.drafts.size > MAX_KEPT_DRAFTS) this.drafts.delete(this.drafts.keys().next().value as RoomId);
  }

  /**
   * Runs `fn` on a draft of the room under the room's lock, then persists what it appended. Nothing is
   * persisted when `fn` throws.
   */
  async withRoom<T>(roomId: RoomId, fn: (draft: RoomDraft) => Promise<T>): Promise<T> {
    const { result, committed } = await this.locks.run(roomId, async () => {
      const version = await this.roomVersion(roomId);
      // Taken out of the cache: a flow that throws leaves nothing behind.
      const draft = await this.takeDraft(version, roomId);
      const value = await fn(draft);
      const commit = this.persist(draft);
      // Awaited below, once the lock is released; this only keeps a quick failure from being "unhandled".
      commit.catch(() => undefined);
      this.keepDraft(draft);
      return { result: value, committed: commit };
    });
    await committed;
    return result;
  }

  /**
   * The event of a client transaction that is queued but not committed yet: resolves once it is committed
   * (undefined if its commit failed, or there is none). The database answers for committed ones.
   */
  pendingTxnEvent(txn: TxnKey): Promise<EventId | undefined> {
    return this.pendingTxns.get(txnKey(txn)) ?? Promise.resolve(undefined);
  }

  /**
   * Builds a new room: `fn` appends the create event first and the rest after it; everything, including
   * the rooms row, lands in one transaction. No lock is needed: nobody can address the room before commit.
   */
  async createRoom<T>(
    version: RoomVersion,
    row: Omit<RoomRow, 'roomId' | 'roomVersion'>,
    fn: (draft: RoomDraft) => Promise<T>,
    beforePersist?: (draft: RoomDraft) => Promise<void>,
  ): Promise<T> {
    const draft = RoomDraft.empty(this.draftContext, version);
    const result = await fn(draft);
    await beforePersist?.(draft);
    await this.persist(draft, { ...row, roomId: draft.roomId, roomVersion: version.id });
    return result;
  }

  /** Runs `fn` under the room's lock without loading a draft (events received over federation). */
  async locked<T>(roomId: RoomId, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(roomId, async () => {
      // The caller reads the room from the database: the events of earlier flows must be there.
      await this.committer.settled(roomId);
      return fn();
    });
  }

  /**
   * Persists events built elsewhere (received over federation) with fresh stream orderings and publishes
   * their notices after commit. The caller holds the room's lock (see `locked`).
   */
  async persistEvents(
    roomId: RoomId,
    events: readonly EventToPersist[],
    newForwardExtremities: readonly EventId[] | null,
    newCurrentState: ReadonlyMap<StateKey, EventId> | null,
    room?: RoomRow,
    partialState?: PartialStateRoom,
  ): Promise<void> {
    this.drafts.delete(roomId);
    await this.write(roomId, [...events], newForwardExtremities, newCurrentState, room, partialState);
  }

  /**
   * Stores what a partial-state room's resync learned (see RoomWriteStore.completePartialState); the caller
   * holds the room's lock. One notice covers the batch: its events are outliers, but the current state moved.
   */
  async completePartialState(
    roomId: RoomId,
    outliers: readonly EventToPersist[],
    eventStates: ReadonlyArray<{ eventId: EventId; stateBefore: ReadonlyMap<StateKey, EventId>; stateAfter: ReadonlyMap<StateKey, EventId> }>,
    currentState: ReadonlyMap<StateKey, EventId>,
    softFail?: { softFailed: readonly EventId[]; forwardExtremities: readonly EventId[] },
  ): Promise<void> {
    this.drafts.delete(roomId);
    const generator = await this.deps.storage.streamIdGenerator('events', 'stream_ordering');
    const batch = generator.getNextMany(Math.max(1, outliers.length));
    const withOrdering = outliers.map((e, i) => ({ ...e, streamOrdering: batch.ids[i] as number }));
    try {
      await this.deps.storage.rooms.completePartialState({
        roomId,
        events: withOrdering,
        eventStates,
        newCurrentState: currentState,
        ...(softFail !== undefined ? { softFailed: softFail.softFailed, newForwardExtremities: softFail.forwardExtremities } : {}),
      });
    } finally {
      batch.done();
    }
    this.deps.notices.publish({ stream: 'events', position: Math.max(...batch.ids), roomIds: [roomId] });
  }

  /**
   * Persists events that are not news: backfilled history and outliers. They take NEGATIVE stream orderings,
   * below every one handed out before, in the order given (pass backfilled events newest first so older
   * history sorts lower), so `s<N>` pagination tokens keep working and sync never sees them as new. The
   * forward extremities and current state are left alone and nothing is published. The caller holds the
   * room's lock.
   */
  async persistHistoric(roomId: RoomId, events: readonly EventToPersist[]): Promise<void> {
    if (events.length === 0) return;
    const store = this.deps.storage.rooms;
    const prev = this.lowestOrdering ?? store.getMinStreamOrdering();
    // Claimed synchronously so concurrent callers (other rooms) never share an ordering.
    const claim = prev.then((low) => low - events.length);
    this.lowestOrdering = claim;
    claim.catch(() => {
      if (this.lowestOrdering === claim) this.lowestOrdering = null;
    });
    const low = await prev;
    await store.persistEvents({
      roomId,
      events: events.map((e, i) => ({ ...e, streamOrdering: low - 1 - i })),
      newForwardExtremities: null,
      newCurrentState: null,
    });
  }

  /** Queues the draft's appended events (synchronously, so the draft can go to the next flow) and commits them. */
  private persist(draft: RoomDraft, room?: RoomRow): Promise<void> {
    // Only appended state events change a draft's state; without one, current state is left as it is
    // (rewriting it meant reading the room's whole current state for every message).
    const stateChanged = room !== undefined || draft.pending.some((e) => typeof e.pdu.state_key === 'string');
    let lineage = this.lineages.get(draft);
    if (lineage === undefined) this.lineages.set(draft, (lineage = { failed: false }));
    if (lineage.failed) return Promise.reject(new Error(`room ${draft.roomId}: an earlier write of this draft failed`));
    const events = draft.pending.splice(0);
    const origin = this.continued.delete(draft) ? 'kept-draft' : 'fresh-draft';
    // The draft's state map is never changed once handed out (room-draft.ts), so it goes to the commit as it is.
    return this.write(draft.roomId, events, draft.extremityIds(), stateChanged ? draft.state : null, room, undefined, lineage, origin);
  }

  private async write(
    roomId: RoomId,
    events: EventToPersist[],
    extremities: readonly EventId[] | null,
    currentState: ReadonlyMap<StateKey, EventId> | null,
    room?: RoomRow,
    partialState?: PartialStateRoom,
    lineage: Lineage | null = null,
    origin?: BatchOrigin,
  ): Promise<void> {
    if (events.length === 0) return;
    const batch = {
      roomId,
      ...(origin !== undefined ? { origin } : {}),
      events,
      newForwardExtremities: extremities,
      newCurrentState: currentState,
      ...(room !== undefined ? { room } : {}),
      ...(partialState !== undefined ? { partialState } : {}),
    };
    const committed = this.committer.submit(batch, lineage);
    const txnKeys: string[] = [];
    for (const e of events) {
      if (e.txn === undefined) continue;
      const key = txnKey(e.txn);
      txnKeys.push(key);
      this.pendingTxns.set(key, committed.then(() => e.eventId, () => undefined));
    }
    let orderings: number[];
    try {
      ({ orderings } = await committed);
    } catch (err) {
      if (lineage !== null) {
        lineage.failed = true;
        const kept = this.drafts.get(roomId);
        if (kept !== undefined && this.lineages.get(kept) === lineage) this.drafts.delete(roomId);
      }
      throw err;
    } finally {
      for (const key of txnKeys) this.pendingTxns.delete(key);
    }
    // Outliers (the state a remote join brings, thousands of events in a large room) are not news: one notice
    // at their highest ordering, naming the users their member events concern (an invite stored as an outlier
    // must still wake its invitee), instead of one per event for every subscriber to look up.
    let outliersUpTo: number | null = null;
    const outlierUsers = new Set<string>();
    const flushOutliers = (): void => {
      if (outliersUpTo === null) return;
      this.deps.notices.publish({ stream: 'events', position: outliersUpTo, roomIds: [roomId], ...(outlierUsers.size > 0 ? { userIds: [...outlierUsers] } : {}) });
      outliersUpTo = null;
      outlierUsers.clear();
    };
    events.forEach((e, i) => {
      const position = orderings[i] as number;
      if (e.outlier) {
        outliersUpTo = Math.max(outliersUpTo ?? position, position);
        if (e.pdu.type === 'm.room.member' && typeof e.pdu.state_key === 'string') outlierUsers.add(e.pdu.state_key);
        return;
      }
      flushOutliers();
      const target = e.pdu.type === 'm.room.member' ? e.pdu.state_key : undefined;
      this.deps.notices.publish({
        stream: 'events',
        position,
        roomIds: [e.roomId],
        ...(target !== undefined ? { userIds: [target] } : {}),
      });
    });
    flushOutliers();
  }
}
