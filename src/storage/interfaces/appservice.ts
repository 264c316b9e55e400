import type { DeviceId, RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { StoredEvent } from './rooms.js';

// Durable delivery state of application services: per service, the events position already scanned and the
// transactions written but not yet acknowledged (kept with their exact body so a retry resends it unchanged).

export interface PendingAppserviceTxn {
  asId: string;
  txnId: number;
  /** The JSON body as sent (text, so the retry is byte-identical). */
  body: string;
  eventCount: number;
  createdTs: number;
}

export interface NewAppserviceTxn {
  body: (txnId: number) => string;
  eventCount: number;
  /** The events position the transaction takes the service to. */
  position: number;
  now: number;
  devicePositions?: { toDevice: number; deviceLists: number };
  /** A delivered transaction whose row goes with this commit. */
  acknowledged?: number;
}

/** How far the to-device and device-list streams were put into transactions (null: not started yet). */
export interface AppserviceDevicePositions {
  toDevice: number | null;
  deviceLists: number | null;
}

/** A to-device message waiting in a local device's inbox, with its recipient. */
export interface InboxRow {
  userId: UserId;
  deviceId: DeviceId;
  streamId: number;
  /** {type, sender, content} as delivered. */
  message: JsonObject;
}

export interface AppserviceStore {
  /** The service's events position, or null the first time a service is seen. */
  getEventsPosition(asId: string): Promise<number | null>;
  /** Starts a service at `position` when it has no row yet (a new service does not get the whole history). */
  initPosition(asId: string, position: number): Promise<void>;
  /** Moves the position past events none of which interested the service. */
  setEventsPosition(asId: string, position: number): Promise<void>;
  /**
   * In one database transaction: allocates the next txn id, stores the body, moves the events position (and
   * the device positions, when given) and deletes the `acknowledged` transaction, when given. Returns the txn id.
   */
  createTxn(asId: string, txn: NewAppserviceTxn): Promise<number>;
  getDevicePositions(asId: string): Promise<AppserviceDevicePositions>;
  /** Moves the device stream positions past messages and changes none of which concerned the service. */
  setDevicePositions(asId: string, positions: { toDevice: number; deviceLists: number }): Promise<void>;
  /** Inbox messages of every local device with from < stream_id <= to, oldest first, at most `limit`. */
  getToDeviceInRange(from: number, to: number, limit: number): Promise<InboxRow[]>;
  /** Oldest unacknowledged transaction of a service. */
  getOldestTxn(asId: string): Promise<PendingAppserviceTxn | undefined>;
  countPendingTxns(asId: string): Promise<{ txns: number; events: number }>;
  deleteTxn(asId: string, txnId: number): Promise<void>;
  /**
   * Timeline events (not outliers, not soft-failed, not rejected) of every room with from < stream_ordering <= to,
   * oldest first, at most `limit`.
   */
  getEventsInRange(from: number, to: number, limit: number): Promise<StoredEvent[]>;
  setRoomListed(asId: string, networkId: string, roomId: RoomId, listed: boolean): Promise<void>;
  getListedRooms(asId: string | null, networkId: string | null): Promise<RoomId[]>;
}
