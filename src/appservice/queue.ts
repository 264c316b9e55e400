import type { Logger } from 'pino';
import type { RoomReadStore, Storage } from '../storage/interfaces/index.js';
import type { RoomVersion } from '../protocol/index.js';
import { boundedRoomVersions, serializeEvents } from '../rooms/index.js';
import type { RoomId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import { AsConnectionError, enc, type AsClient } from './as-client.js';
import {
  collectDeviceListChanges,
  collectKeyCounts,
  collectToDevice,
  currentDevicePositions,
  usersConcerned,
  wantsDeviceData,
  wantsToDevice,
  type DevicePositions,
} from './device-data.js';
import { isInterestedInEvent, memoRoomFacts, type RoomFacts } from './interest.js';
import type { AppserviceEntry } from './registry.js';

// One service's transaction queue. Loop: resend the oldest stored transaction until the service answers 2xx;
// otherwise scan new events from the service's position and store the interesting ones as the next
// transaction (body and position move together in one DB transaction). One transaction in flight, so the
// service sees events in stream order; retries reuse the stored txn id and body byte for byte.
//
// The queue is the only writer of its service's position and transactions, so it keeps both in memory once
// read at start instead of reading them back every round. An acknowledged transaction's row is deleted in the
// database transaction that stores the next one, or before the queue goes idle: a busy service costs one
// commit per transaction, not two. A crash in between resends that transaction under its txn id, which
// services deduplicate (the spec asks them to), as a crash between the PUT and the delete always could.

export interface QueueOptions {
  /** Most events in one transaction (Synapse sends at most 100). */
  maxEvents: number;
  /** Events read per scan while looking for interesting ones. */
  scanLimit: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = {
  maxEvents: 100,
  scanLimit: 500,
  backoffInitialMs: 1000,
  backoffMaxMs: 5 * 60 * 1000,
  requestTimeoutMs: 60_000,
};

export interface QueueStatus {
  id: string;
  url: string | null;
  eventsPosition: number | null;
  pendingTransactions: number;
  pendingEvents: number;
  lastSuccessTs: number | null;
  lastErrorTs: number | null;
  lastError: string | null;
  consecutiveFailures: number;
  /** When the next retry is due while backing off, else null. */
  retryAtTs: number | null;
  deliveredTransactions: number;
  deliveredEvents: number;
}

export interface EphemeralSource {
  /** Ephemeral events for the service collected since the last transaction (drained by the call). */
  drain(entry: AppserviceEntry): JsonObject[];
  hasPending(entry: AppserviceEntry): boolean;
}

export interface QueueDeps {
  storage: Storage;
  logger: Logger;
  now: () => number;
  options: QueueOptions;
  ephemeral: EphemeralSource;
  client: AsClient;
}

export class AppserviceQueue {
  private closed = false;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private running: Promise<void> | null = null;
  private lastSuccessTs: number | null = null;
  private lastErrorTs: number | null = null;
  private lastError: string | null = null;
  private failures = 0;
  private retryAtTs: number | null = null;
  private deliveredTxns = 0;
  private deliveredEvents = 0;
  /** The events position as stored (null until the loop has read it). */
  private position: number | null = null;
  /** Versions of the rooms whose events were sent (a room's never changes). */
  private readonly roomVersions = new Map<RoomId, RoomVersion>();
  /** A delivered transaction whose row is not deleted yet, with its event count. */
  private acknowledged: { txnId: number; eventCount: number } | null = null;

  constructor(
    readonly entry: AppserviceEntry,
    private readonly deps: QueueDeps,
  ) {}

  start(): void {
    if (this.entry.reg.url === null) return; // nowhere to send: the service only acts, never receives
    this.running ??= this.loop().catch((err: unknown) => {
      this.deps.logger.error({ err, appservice: this.entry.id }, 'appservice queue stopped on an unexpected error');
    });
  }

  /** New data may be available (an events notice), or the service showed it is alive: retry now. */
  wake(resetBackoff = false): void {
    if (resetBackoff && this.retryAtTs !== null) this.retryAtTs = null;
    else if (this.retryAtTs !== null) return; // backing off: new events wait for the retry
    this.woken = true;
    this.wakeUp?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeUp?.();
    await this.running;
  }

  async status(): Promise<QueueStatus> {
    const store = this.deps.storage.appservices;
    const acked = this.acknowledged;
    const pending = await store.countPendingTxns(this.entry.id);
    // A delivered transaction still stored is not pending (unless its row went in the meantime).
    const stillStored = acked !== null && acked === this.acknowledged && pending.txns > 0;
    return {
      id: this.entry.id,
      url: this.entry.reg.url,
      eventsPosition: await store.getEventsPosition(this.entry.id),
      pendingTransactions: Math.max(0, pending.txns - (stillStored ? 1 : 0)),
      pendingEvents: Math.max(0, pending.events - (stillStored ? acked.eventCount : 0)),
      lastSuccessTs: this.lastSuccessTs,
      lastErrorTs: this.lastErrorTs,
      lastError: this.lastError,
      consecutiveFailures: this.failures,
      retryAtTs: this.retryAtTs,
      deliveredTransactions: this.deliveredTxns,
      deliveredEvents: this.deliveredEvents,
    };
  }

  private sleep(ms: number | null): Promise<void> {
    if (this.woken || this.closed) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = ms === null ? null : setTimeout(done, ms);
      const self = this;
      function done(): void {
        if (timer !== null) clearTimeout(timer);
        self.wakeUp = null;
        self.woken = false;
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async loop(): Promise<void> {
    const store = this.deps.storage.appservices;
    const id = this.entry.id;
    this.position = await store.getEventsPosition(id);
    // A service seen for the first time starts at the present, not at the beginning of history.
    if (this.position === null) {
      const now = await this.eventsUpTo();
      await store.initPosition(id, now);
      this.position = (await store.getEventsPosition(id)) ?? now;
    }
    // Transactions an earlier run stored and did not get acknowledged go first, oldest first.
    let txn: PendingTxn | undefined = await store.getOldestTxn(id);
    let fromEarlierRun = txn !== undefined;
    while (!this.closed) {
      if (txn !== undefined) {
        if (this.retryAtTs !== null && this.retryAtTs > this.deps.now()) {
          await this.sleep(this.retryAtTs - this.deps.now());
          continue;
        }
        const error = await this.send(txn.txnId, txn.body);
        if (error !== null) {
          this.noteFailure(txn.txnId, error);
          continue;
        }
        this.noteSuccess(txn.eventCount);
        this.acknowledged = { txnId: txn.txnId, eventCount: txn.eventCount };
        txn = undefined;
        if (fromEarlierRun) {
          await this.deleteAcknowledged();
          txn = await store.getOldestTxn(id);
          fromEarlierRun = txn !== undefined;
        }
        continue;
      }
      const next = await this.buildNext();
      if (next === 'idle') {
        await this.deleteAcknowledged();
        await this.sleep(null);
      } else if (next !== 'moved') {
        txn = next;
      }
    }
    await this.deleteAcknowledged();
  }

  /** The highest events position every lower event of which is committed: rooms commit out of order. */
  private async eventsUpTo(): Promise<number> {
    return (await this.deps.storage.streamIdGenerator('events', 'stream_ordering')).currentToken();
  }

  private async deleteAcknowledged(): Promise<void> {
    const acked = this.acknowledged;
    if (acked === null) return;
    await this.deps.storage.appservices.deleteTxn(this.entry.id, acked.txnId);
    if (this.acknowledged === acked) this.acknowledged = null;
  }

  /**
   * Stores the next transaction and returns it; 'moved' when the scan only moved positions past what did not
   * concern the service, 'idle' when there is nothing to do.
   */
  private async buildNext(): Promise<PendingTxn | 'moved' | 'idle'> {
    const { storage, options, ephemeral } = this.deps;
    const store = storage.appservices;
    const id = this.entry.id;
    const from = this.position ?? 0;
    // Not MAX(stream_ordering): an event committed above one still being written would move the position
    // past the lower one, which would then never be delivered.
    const to = await this.eventsUpTo();
    const scanned = from < to ? await store.getEventsInRange(from, to, options.scanLimit) : [];
    const facts = memoRoomFacts(roomFacts(storage.rooms));
    const picked = [];
    let position = from;
    for (const ev of scanned) {
      if (await isInterestedInEvent(this.entry, ev, facts)) {
        picked.push(ev);
        position = ev.streamOrdering;
        if (picked.length >= options.maxEvents) break;
      } else {
        position = ev.streamOrdering;
      }
    }
    const hasEphemeral = ephemeral.hasPending(this.entry);
    const device = wantsDeviceData(this.entry) ? await this.scanDeviceStreams(facts) : null;
    const hasDevice = device !== null && (device.toDevice.length > 0 || device.changed.length > 0);
    if (picked.length === 0 && !hasEphemeral && !hasDevice) {
      let progressed = false;
      if (position > from) {
        await store.setEventsPosition(id, position);
        this.position = position;
        progressed = true;
      }
      if (device !== null && (device.to.toDevice > device.from.toDevice || device.to.deviceLists > device.from.deviceLists)) {
        await store.setDevicePositions(id, device.to);
        progressed = true;
      }
      return progressed ? 'moved' : 'idle';
    }
    const events = await serializeEvents(picked, { store: storage.rooms, now: this.deps.now(), roomVersions: boundedRoomVersions(this.roomVersions) });
    const eph = ephemeral.drain(this.entry);
    const body: JsonObject = { events: events as unknown as JsonObject[] };
    if (eph.length > 0) {
      body.ephemeral = eph;
      // matrix-bot-sdk and older bridges read the MSC2409 name.
      body['de.sorunome.msc2409.ephemeral'] = eph;
    }
    if (device !== null) await this.addDeviceData(body, device, facts, [...picked.map((e) => e.roomId), ...roomsOf(eph)]);
    const text = JSON.stringify(body);
    const acked = this.acknowledged;
    const txnId = await store.createTxn(id, {
      body: () => text,
      eventCount: picked.length,
      position,
      now: this.deps.now(),
      ...(device ? { devicePositions: device.to } : {}),
      ...(acked ? { acknowledged: acked.txnId } : {}),
    });
    this.position = position;
    if (this.acknowledged === acked) this.acknowledged = null;
    this.deps.logger.debug(
      { appservice: id, txnId, events: picked.length, ephemeral: eph.length, toDevice: device?.toDevice.length ?? 0, position },
      'appservice transaction queued',
    );
    return { txnId, body: text, eventCount: picked.length };
  }

  /** The to-device messages and device-list changes since the service's positions (which start at the present). */
  private async scanDeviceStreams(facts: RoomFacts): Promise<DeviceScan> {
    const { storage, options } = this.deps;
    const id = this.entry.id;
    const stored = await storage.appservices.getDevicePositions(id);
    const current = await currentDevicePositions(storage);
    const from: DevicePositions = { toDevice: stored.toDevice ?? current.toDevice, deviceLists: stored.deviceLists ?? current.deviceLists };
    if (stored.toDevice === null || stored.deviceLists === null) await storage.appservices.setDevicePositions(id, from);
    const toDevice = wantsToDevice(this.entry)
      ? await collectToDevice(this.entry, storage, from.toDevice, current.toDevice, options.maxEvents)
      : { messages: [], position: current.toDevice };
    const changed = this.entry.reg.msc3202 ? await collectDeviceListChanges(this.entry, storage, facts, from.deviceLists, current.deviceLists) : [];
    return { from, to: { toDevice: toDevice.position, deviceLists: current.deviceLists }, toDevice: toDevice.messages, changed };
  }

  /** The MSC2409 / MSC3202 fields, under the unstable names Synapse sends and the bridge SDKs read. */
  private async addDeviceData(body: JsonObject, device: DeviceScan, facts: RoomFacts, roomIds: readonly string[]): Promise<void> {
    if (device.toDevice.length > 0) body['de.sorunome.msc2409.to_device'] = device.toDevice;
    if (!this.entry.reg.msc3202) return;
    body['org.matrix.msc3202.device_lists'] = { changed: device.changed, left: [] };
    const counts = await collectKeyCounts(this.deps.storage, await usersConcerned(this.entry, facts, roomIds, device.toDevice));
    body['org.matrix.msc3202.device_one_time_keys_count'] = counts.otkCounts;
    body['org.matrix.msc3202.device_unused_fallback_key_types'] = counts.fallbackTypes;
  }

  /** PUT the transaction; null on success, else a description of the failure. */
  private async send(txnId: number, body: string): Promise<string | null> {
    try {
      const res = await this.deps.client.request(this.entry, {
        method: 'PUT',
        path: `/_matrix/app/v1/transactions/${enc(String(txnId))}`,
        body,
        timeoutMs: this.deps.options.requestTimeoutMs,
      });
      if (res.status >= 200 && res.status < 300) return null;
      return `HTTP ${res.status}${typeof res.body === 'object' && res.body !== null ? ` ${JSON.stringify(res.body).slice(0, 200)}` : ''}`;
    } catch (err) {
      if (err instanceof AsConnectionError) return err.message;
      throw err;
    }
  }

  private noteSuccess(events: number): void {
    if (this.failures > 0) this.deps.logger.info({ appservice: this.entry.id, afterFailures: this.failures }, 'appservice reachable again');
    this.failures = 0;
    this.retryAtTs = null;
    this.lastSuccessTs = this.deps.now();
    this.deliveredTxns += 1;
    this.deliveredEvents += events;
  }

  private noteFailure(txnId: number, error: string): void {
    const { backoffInitialMs, backoffMaxMs } = this.deps.options;
    this.failures += 1;
    const delay = Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(this.failures - 1, 30));
    this.retryAtTs = this.deps.now() + delay;
    this.lastErrorTs = this.deps.now();
    this.lastError = error;
    this.deps.logger.warn({ appservice: this.entry.id, txnId, error, failures: this.failures, retryInMs: delay }, 'appservice transaction failed; backing off');
  }
}

/** A stored transaction as the queue sends it. */
interface PendingTxn {
  txnId: number;
  body: string;
  eventCount: number;
}

interface DeviceScan {
  from: DevicePositions;
  to: DevicePositions;
  toDevice: JsonObject[];
  changed: string[];
}

function roomsOf(edus: readonly JsonObject[]): string[] {
  return edus.flatMap((e) => (typeof e.room_id === 'string' ? [e.room_id] : []));
}

function roomFacts(rooms: RoomReadStore): RoomFacts {
  return {
    aliases: (roomId) => rooms.getAliasesForRoom(roomId),
    joinedMembers: async (roomId) => (await rooms.getRoomMembers(roomId, ['join'])).map((m) => m.userId),
  };
}
