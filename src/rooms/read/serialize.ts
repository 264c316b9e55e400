import { DEFAULT_ROOM_VERSION, findRoomVersion, redactEvent, roomVersion, toClientEvent } from '../../protocol/index.js';
import type { ClientEvent, ClientEventExtras, RoomVersion } from '../../protocol/index.js';
import type { RoomReadStore, StoredEvent } from '../../storage/interfaces/index.js';
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import { readExtras } from './store-extras.js';

// Stored events -> the client-server API's ClientEvent, with `unsigned` filled from the store: prev_content /
// prev_sender / replaces_state (from events.replaces_state), redacted_because (from events.redacted_by),
// transaction_id (only for the device that sent the event) and age. Lookups are batched per list, so a page
// of events costs a fixed number of queries.

export interface SerializeOptions {
  store: RoomReadStore;
  /** Clock for `age`. */
  now: number;
  /** The requesting user and device: their own events carry unsigned.transaction_id. */
  requester?: { userId: UserId; deviceId: string | null } | null;
  /** Sync leaves room_id out inside per-room sections (default: include it). */
  includeRoomId?: boolean;
  /**
   * Server-side aggregations (unsigned.m.relations) per event id, for the requester; the relations service
   * provides it (RelationsService.aggregations). Left out, events carry no aggregations.
   */
  bundleRelations?: RelationsBundler;
  /**
   * Room versions already looked up, filled as rooms are read. A room's version never changes, so a
   * long-lived caller (sync) keeps one instead of reading the room row for every page it serializes.
   */
  roomVersions?: Map<RoomId, RoomVersion>;
  /** Passed to bundleRelations: reads shared with other viewers at the same position. */
  shared?: SharedLookups;
}

/**
 * Reads that callers serving many viewers at one stream position (the woken syncs of one room) share: the
 * first asker's `load` runs, the others await its result. Only viewer-independent reads go through it.
 */
export interface SharedLookups {
  once<T>(key: string, load: () => Promise<T>): Promise<T>;
}

/** Looks up unsigned.m.relations for a page of events in one batch. */
export type RelationsBundler = (
  events: readonly StoredEvent[],
  viewer: { userId: UserId; deviceId: string | null },
  shared?: SharedLookups,
) => Promise<Map<EventId, JsonObject>>;

/** Room versions a long-lived caller remembers; past this many the oldest half is dropped. */
const MAX_ROOM_VERSIONS = 50_000;

/** A long-lived caller's `roomVersions`, trimmed to the bound (call before each use). */
export function boundedRoomVersions(known: Map<RoomId, RoomVersion>): Map<RoomId, RoomVersion> {
  if (known.size <= MAX_ROOM_VERSIONS) return known;
  let drop = known.size / 2;
  for (const k of known.keys()) {
    if (drop-- <= 0) break;
    known.delete(k);
  }
  return known;
}

/** Room versions of the given rooms (the stored row; the default version's rules when a row is missing). */
async function versionsFor(store: RoomReadStore, roomIds: Iterable<RoomId>, known?: Map<RoomId, RoomVersion>): Promise<Map<RoomId, RoomVersion>> {
  const out = new Map<RoomId, RoomVersion>();
  const missing: RoomId[] = [];
  for (const roomId of new Set(roomIds)) {
    const hit = known?.get(roomId);
    if (hit !== undefined) out.set(roomId, hit);
    else missing.push(roomId);
  }
  if (missing.length === 0) return out;
  // One read for every room not known yet (a first sync after a restart serializes events of all its rooms).
  const rows = await store.getRooms(missing);
  for (const roomId of missing) {
    const row = rows.get(roomId);
    const version = row && findRoomVersion(row.roomVersion);
    out.set(roomId, version ?? roomVersion(DEFAULT_ROOM_VERSION));
    // Only a stored row is remembered: a room not (yet) stored here may be created with another version.
    if (version && known !== undefined) known.set(roomId, version);
  }
  return out;
}

/** v12 create events carry no room_id in the PDU, but clients are always told the room. */
function withRoomId(ev: ClientEvent, roomId: RoomId, include: boolean): ClientEvent {
  if (include && ev.room_id === undefined) ev.room_id = roomId;
  return ev;
}

export async function serializeEvents(events: readonly StoredEvent[], opts: SerializeOptions): Promise<ClientEvent[]> {
  if (events.length === 0) return [];
  const { store, now } = opts;
  const versions = await versionsFor(store, events.map((e) => e.roomId), opts.roomVersions);

  const related = new Set<EventId>();
  for (const e of events) {
    if (e.replacesState !== null && e.pdu.state_key !== undefined) related.add(e.replacesState);
    if (e.redactedBy !== null) related.add(e.redactedBy);
  }
  const relatedEvents = related.size > 0 ? await store.getEvents(related) : new Map<EventId, StoredEvent>();

  let txnIds = new Map<EventId, string>();
  const requester = opts.requester;
  if (requester && requester.deviceId !== null) {
    const own = events.filter((e) => e.pdu.sender === requester.userId).map((e) => e.eventId);
    const lookup = readExtras(store).getTxnIdsForEvents;
    if (own.length > 0 && lookup) txnIds = await lookup(requester.userId, requester.deviceId, own);
  }

  // Redacted events lose their relations (their content is gone), so none are bundled with them.
  const bundled =
    opts.bundleRelations && requester
      ? await opts.bundleRelations(events.filter((e) => e.redactedBy === null), requester, opts.shared)
      : new Map<EventId, JsonObject>();

  const includeRoomId = opts.includeRoomId ?? true;
  return events.map((e) => {
    const version = versions.get(e.roomId) ?? roomVersion(DEFAULT_ROOM_VERSION);
    const extras: ClientEventExtras = { ageMs: now - e.receivedTs };
    const redaction = e.redactedBy !== null ? relatedEvents.get(e.redactedBy) : undefined;
    if (redaction !== undefined) {
      extras.redactedBecause = withRoomId(
        toClientEvent(versions.get(redaction.roomId) ?? version, redaction.eventId, redaction.pdu, { ageMs: now - redaction.receivedTs }, { includeRoomId }),
        redaction.roomId,
        includeRoomId,
      );
    }
    const replaced = e.replacesState !== null ? relatedEvents.get(e.replacesState) : undefined;
    if (replaced !== undefined) {
      // A redacted previous state event only shows what redaction keeps.
      const prev = replaced.redactedBy !== null ? redactEvent(version, replaced.pdu) : replaced.pdu;
      extras.prevContent = prev.content ?? {};
      extras.prevSender = replaced.pdu.sender;
      extras.replacesState = replaced.eventId;
    } else if (e.replacesState !== null) {
      extras.replacesState = e.replacesState;
    }
    const txnId = txnIds.get(e.eventId);
    if (txnId !== undefined) extras.transactionId = txnId;
    const relations = bundled.get(e.eventId);
    if (relations !== undefined) extras.extraUnsigned = { 'm.relations': relations };
    return withRoomId(toClientEvent(version, e.eventId, e.pdu, extras, { includeRoomId }), e.roomId, includeRoomId);
  });
}

export async function serializeEvent(event: StoredEvent, opts: SerializeOptions): Promise<ClientEvent> {
  const [out] = await serializeEvents([event], opts);
  if (out === undefined) throw new Error('serializeEvents returned nothing for one event');
  return out;
}
