import { findRoomVersion, roomVersion, toClientEvent, type ClientEvent } from '../protocol/index.js';
import type { RoomReadStore, StoredEvent } from '../storage/interfaces/index.js';
import type { EventId, RoomId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { Requester } from '../types/requester.js';

// Client formatting of the events sync returns: unsigned.prev_content / prev_sender / replaces_state,
// redacted_because, age, and transaction_id for the device that sent the event. Lookups are batched per call
// (one getEvents for replaced and redaction events, one txn-id query).

/** Optional store capability: the transaction ids with which (user, device) created events. */
interface TxnIdLookup {
  getTxnIdsForEvents(userId: string, deviceId: string, eventIds: readonly EventId[]): Promise<Map<EventId, string>>;
}

function hasTxnLookup(store: RoomReadStore): store is RoomReadStore & TxnIdLookup {
  return typeof (store as Partial<TxnIdLookup>).getTxnIdsForEvents === 'function';
}

export class SyncEventSerializer {
  private readonly versions = new Map<RoomId, string>();

  constructor(
    private readonly store: RoomReadStore,
    private readonly now: () => number,
  ) {}

  async roomVersionOf(roomId: RoomId): Promise<string> {
    let v = this.versions.get(roomId);
    if (v === undefined) {
      v = (await this.store.getRoom(roomId))?.roomVersion ?? '1';
      this.versions.set(roomId, v);
    }
    return v;
  }

  async serialize(events: readonly StoredEvent[], requester: Requester | null): Promise<ClientEvent[]> {
    if (events.length === 0) return [];
    const related = new Set<EventId>();
    for (const e of events) {
      if (e.replacesState) related.add(e.replacesState);
      if (e.redactedBy) related.add(e.redactedBy);
    }
    const relatedEvents = related.size > 0 ? await this.store.getEvents(related) : new Map<EventId, StoredEvent>();
    let txnIds = new Map<EventId, string>();
    if (requester?.deviceId && hasTxnLookup(this.store)) {
      const own = events.filter((e) => e.pdu.sender === requester.userId).map((e) => e.eventId);
      if (own.length > 0) txnIds = await this.store.getTxnIdsForEvents(requester.userId, requester.deviceId, own);
    }
    const now = this.now();
    const out: ClientEvent[] = [];
    for (const e of events) {
      const version = await this.versionRecord(e.roomId);
      const prev = e.replacesState ? relatedEvents.get(e.replacesState) : undefined;
      const redaction = e.redactedBy ? relatedEvents.get(e.redactedBy) : undefined;
      const extras: Parameters<typeof toClientEvent>[3] = { ageMs: now - e.receivedTs };
      if (prev) {
        extras.prevContent = prev.pdu.content;
        extras.prevSender = prev.pdu.sender;
        extras.replacesState = prev.eventId;
      }
      if (redaction) {
        extras.redactedBecause = toClientEvent(version, redaction.eventId, redaction.pdu, { ageMs: now - redaction.receivedTs });
      }
      const txn = txnIds.get(e.eventId);
      if (txn !== undefined) extras.transactionId = txn;
      out.push(toClientEvent(version, e.eventId, e.pdu, extras, { includeRoomId: false }));
    }
    return out;
  }

  /** Stripped state events (invite_state / knock_state). */
  stripped(events: readonly StoredEvent[]): JsonObject[] {
    return events.map((e) => ({
      type: e.pdu.type,
      state_key: e.pdu.state_key ?? '',
      sender: e.pdu.sender,
      content: e.pdu.content,
    }));
  }

  private async versionRecord(roomId: RoomId) {
    const id = await this.roomVersionOf(roomId);
    return findRoomVersion(id) ?? roomVersion('1');
  }
}
