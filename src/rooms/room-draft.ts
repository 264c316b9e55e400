import { randomBytes } from 'node:crypto';
import type { SigningKey } from '../crypto/index.js';
import { forbidden, MatrixError, tooLarge } from '../errors/index.js';
import {
  authStateKeysFor,
  checkEventAuth,
  hashAndSignEvent,
  roomIdForCreateEvent,
  stateKey,
  validatePdu,
  type RoomVersion,
} from '../protocol/index.js';
import type { EventToPersist, RoomReadStore } from '../storage/interfaces/index.js';
import type { EventId, RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { Pdu, RoomEvent, StateKey } from '../types/pdu.js';

// A room draft: the room as the writer sees it while holding the room's lock, plus the events appended in
// this flow (not yet persisted). Appending builds the PDU (prev_events, depth, auth_events, hashes,
// signature, id), checks it against the auth rules over the draft's current state, and advances the draft,
// so several events (createRoom, upgrades) chain in memory and are persisted in one transaction.

/** Most prev_events we reference (the spec allows 20; Synapse uses 10). */
const MAX_PREV_EVENTS = 10;
const CREATE_KEY = stateKey('m.room.create', '');

export interface EventProto {
  type: string;
  sender: UserId;
  stateKey?: string;
  content: JsonObject;
  /** m.room.redaction: the target (also written to content.redacts where the version reads it there). */
  redacts?: EventId;
  /** origin_server_ts chosen by an application service (`?ts=`, timestamp massaging); else the clock. */
  originServerTs?: number;
}

export interface AppendOptions {
  txn?: { userId: UserId; deviceId: string; txnId: string };
  redactionApplies?: boolean;
  /** How an auth failure is reported (default M_FORBIDDEN / 403 with the rule's reason). */
  authError?: (reason: string) => MatrixError;
}

export interface DraftContext {
  serverName: string;
  signingKey: SigningKey;
  store: RoomReadStore;
  now: () => number;
  /**
   * Timestamp for a new create event. Where the room id is the create event's hash (v12), two rooms created
   * by the same user in the same millisecond with the same content would get the same id; handing out
   * strictly increasing timestamps per process keeps them apart.
   */
  createTs: () => number;
}

interface Extremity {
  eventId: EventId;
  depth: number;
  pdu: Pdu;
}

export type PendingEvent = EventToPersist;

export class RoomDraft {
  readonly pending: PendingEvent[] = [];
  private readonly events = new Map<EventId, RoomEvent>();
  /**
   * The events of `events` that may have stopped being current state or an extremity since the last
   * prepareForReuse (loaded, appended, replaced in state, or extremities before an append): only these are
   * looked at then, not every event kept, which in a big room are its thousands of member events.
   */
  private readonly maybeStale = new Set<EventId>();

  constructor(
    private readonly ctx: DraftContext,
    readonly version: RoomVersion,
    private roomIdValue: RoomId | null,
    private currentState: Map<StateKey, EventId>,
    private extremities: Extremity[],
  ) {}

  /**
   * Current state (type\0state_key -> event id), advanced by every appended state event. A map handed out is
   * never changed: an appended state event replaces it with a changed copy, so an event's `stateBefore` can be
   * the map itself and a message costs no copy of a big room's state.
   */
  get state(): ReadonlyMap<StateKey, EventId> {
    return this.currentState;
  }

  /** The room id; for a v12 room being created it is known once the create event was appended. */
  get roomId(): RoomId {
    if (this.roomIdValue === null) throw new Error('room id not known before the create event');
    return this.roomIdValue;
  }

  /** Loads (and caches) events by id from this draft or the store. */
  async loadEvents(ids: Iterable<EventId>): Promise<Map<EventId, RoomEvent>> {
    const out = new Map<EventId, RoomEvent>();
    const missing: EventId[] = [];
    for (const id of ids) {
      const hit = this.events.get(id);
      if (hit !== undefined) out.set(id, hit);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const loaded = await this.ctx.store.getEvents(missing);
      for (const [id, stored] of loaded) {
        const ev: RoomEvent = { eventId: id, pdu: stored.pdu };
        this.events.set(id, ev);
        this.maybeStale.add(id);
        out.set(id, ev);
      }
    }
    return out;
  }

  /** The current state event at (type, stateKey), if any. */
  async stateEvent(type: string, key = ''): Promise<RoomEvent | undefined> {
    const id = this.state.get(stateKey(type, key));
    if (id === undefined) return undefined;
    return (await this.loadEvents([id])).get(id);
  }

  /** `content` of the current state event at (type, stateKey), if any. */
  async stateContent(type: string, key = ''): Promise<JsonObject | undefined> {
    return (await this.stateEvent(type, key))?.pdu.content;
  }

  /** The current membership of a user ('leave' when there is no member event). */
  async membership(userId: UserId): Promise<string> {
    const m = (await this.stateContent('m.room.member', userId))?.membership;
    return typeof m === 'string' ? m : 'leave';
  }

  /** The state the auth rules need to judge `pdu`: its auth events plus the create event. */
  async authState(pdu: Pick<Pdu, 'type' | 'sender' | 'state_key' | 'content'>): Promise<Map<StateKey, RoomEvent>> {
    const keys = new Set(authStateKeysFor(this.version, pdu));
    keys.add(CREATE_KEY);
    const ids = new Map<StateKey, EventId>();
    for (const k of keys) {
      const id = this.state.get(k);
      if (id !== undefined) ids.set(k, id);
    }
    const events = await this.loadEvents(ids.values());
    const out = new Map<StateKey, RoomEvent>();
    for (const [k, id] of ids) {
      const ev = events.get(id);
      if (ev !== undefined) out.set(k, ev);
    }
    return out;
  }

  /**
   * The unsigned event `proto` would become on top of the draft (prev_events, depth, auth_events): what
   * append signs, and what make_join / make_leave / make_knock hand to a remote server to sign.
   */
  async template(proto: EventProto): Promise<Record<string, unknown>> {
    const { version } = this;
    const isCreate = proto.type === 'm.room.create';
    let content = proto.content;
    if (proto.redacts !== undefined && version.redactsInContent) content = { ...content, redacts: proto.redacts };
    const shape = { type: proto.type, sender: proto.sender, content, ...(proto.stateKey !== undefined ? { state_key: proto.stateKey } : {}) };

    const authKeys = isCreate ? [] : authStateKeysFor(version, shape);
    const authIds = authKeys.map((k) => this.state.get(k)).filter((id): id is EventId => id !== undefined);
    const prevs = [...this.extremities].sort((a, b) => b.depth - a.depth).slice(0, MAX_PREV_EVENTS);
    // Capped: a remote event may carry the largest depth there is, and one more would not be a valid integer.
    const depth = Math.min(prevs.reduce((m, p) => Math.max(m, p.depth), 0) + 1, Number.MAX_SAFE_INTEGER);

    const authEvents = await this.loadEvents(authIds);
    const ref = (id: EventId, pdu: Pdu | undefined): EventId | [EventId, Record<string, string>] =>
      version.eventRefsArePairs ? [id, { sha256: pdu?.hashes.sha256 ?? '' }] : id;

    const unsignedEvent: Record<string, unknown> = {
      ...(this.roomIdValue !== null ? { room_id: this.roomIdValue } : {}),
      sender: proto.sender,
      type: proto.type,
      ...(proto.stateKey !== undefined ? { state_key: proto.stateKey } : {}),
      content,
      origin_server_ts: proto.originServerTs ?? (isCreate && version.roomIdFromCreateEvent ? this.ctx.createTs() : this.ctx.now()),
      depth,
      prev_events: prevs.map((p) => ref(p.eventId, p.pdu)),
      auth_events: authIds.map((id) => ref(id, authEvents.get(id)?.pdu)),
      ...(proto.redacts !== undefined ? { redacts: proto.redacts } : {}),
    };
    if (version.eventIdFormat === 'v1') {
      unsignedEvent.event_id = `$${randomBytes(12).toString('base64url')}:${this.ctx.serverName}`;
    }
    if (isCreate && !version.roomIdFromCreateEvent) {
      unsignedEvent.room_id = this.roomIdValue ?? `!${randomBytes(12).toString('base64url')}:${this.ctx.serverName}`;
    }
    return unsignedEvent;
  }

  /** Builds, signs and auth-checks an event on top of the draft, then advances the draft. */
  async append(proto: EventProto, opts: AppendOptions = {}): Promise<RoomEvent> {
    const { version } = this;
    const isCreate = proto.type === 'm.room.create';
    let content = proto.content;
    if (proto.redacts !== undefined && version.redactsInContent) content = { ...content, redacts: proto.redacts };
    const shape = { type: proto.type, sender: proto.sender, content, ...(proto.stateKey !== undefined ? { state_key: proto.stateKey } : {}) };
    const unsignedEvent = await this.template(proto);
    const depth = unsignedEvent.depth as number;
    const { pdu: signed, eventId } = hashAndSignEvent(version, unsignedEvent, this.ctx.serverName, this.ctx.signingKey);
    const pdu = signed as unknown as Pdu;

    const format = validatePdu(version, pdu);
    if (!format.ok) {
      if (format.reason.includes('bytes, more than')) throw tooLarge(`Event too large: ${format.reason}`);
      throw new MatrixError('M_BAD_JSON', 400, `Invalid event: ${format.reason}`);
    }

    if (isCreate) {
      if (this.pending.length > 0 || this.state.size > 0) throw new Error('create event must be the first event');
      this.roomIdValue = version.roomIdFromCreateEvent ? roomIdForCreateEvent(pdu, version) : (pdu.room_id as RoomId);
    }
    const event: RoomEvent = { eventId, pdu };
    const verdict = checkEventAuth(version, event, isCreate ? new Map() : await this.authState(shape));
    if (!verdict.allowed) throw (opts.authError ?? forbidden)(verdict.reason);

    const stateBefore = this.currentState;
    if (proto.stateKey !== undefined) {
      const key = stateKey(proto.type, proto.stateKey);
      const replaced = stateBefore.get(key);
      if (replaced !== undefined) this.maybeStale.add(replaced);
      this.currentState = new Map(stateBefore).set(key, eventId);
    }
    this.events.set(eventId, event);
    this.maybeStale.add(eventId);
    for (const e of this.extremities) this.maybeStale.add(e.eventId);
    this.extremities = [{ eventId, depth, pdu }];
    this.pending.push({
      eventId,
      pdu,
      roomId: this.roomId,
      depth,
      outlier: false,
      softFailed: false,
      rejectedReason: null,
      stateBefore,
      builtHere: true,
      ...(opts.txn !== undefined ? { txn: opts.txn } : {}),
      ...(opts.redactionApplies !== undefined ? { redactionApplies: opts.redactionApplies } : {}),
    });
    return event;
  }

  /** The forward extremities after the appended events. */
  extremityIds(): EventId[] {
    return this.extremities.map((e) => e.eventId);
  }

  /**
   * Readies a persisted draft for the room's next flow (room-writer.ts keeps it between flows): only the
   * loaded events still in current state or at the extremities are kept, so the cache stays the size of
   * the state the auth rules read rather than growing with every event sent.
   */
  prepareForReuse(): void {
    if (this.pending.length > 0) throw new Error('draft has unpersisted events');
    const extremityIds = new Set(this.extremities.map((e) => e.eventId));
    for (const id of this.maybeStale) {
      const ev = this.events.get(id);
      if (ev === undefined) continue;
      const key = typeof ev.pdu.state_key === 'string' ? stateKey(ev.pdu.type, ev.pdu.state_key) : null;
      if (!extremityIds.has(id) && (key === null || this.currentState.get(key) !== id)) this.events.delete(id);
    }
    this.maybeStale.clear();
  }

  static async load(ctx: DraftContext, version: RoomVersion, roomId: RoomId): Promise<RoomDraft> {
    const [state, extremityIds] = await Promise.all([ctx.store.getCurrentStateIds(roomId), ctx.store.getForwardExtremities(roomId)]);
    const stored = await ctx.store.getEvents(extremityIds);
    const extremities: Extremity[] = [];
    for (const [id, ev] of stored) extremities.push({ eventId: id, depth: ev.depth, pdu: ev.pdu });
    return new RoomDraft(ctx, version, roomId, state, extremities);
  }

  static empty(ctx: DraftContext, version: RoomVersion): RoomDraft {
    return new RoomDraft(ctx, version, null, new Map(), []);
  }
}
