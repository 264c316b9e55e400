import type { EventId, RoomId, ServerName } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';

// Durable outbound federation queues (migrations/0007_federation.ts): what waits to be sent to each
// destination, the transaction in flight, and the destination's retry state.

export interface QueuedPdu {
  id: number;
  eventId: EventId;
  roomId: RoomId;
  queuedTs: number;
}

export interface QueuedEdu {
  id: number;
  eduType: string;
  content: JsonObject;
  queuedTs: number;
}

export interface PduToQueue {
  eventId: EventId;
  roomId: RoomId;
}

export interface EduToQueue {
  eduType: string;
  content: JsonObject;
  /** A waiting (not yet claimed) EDU with the same type and key is replaced instead of sent as well. */
  coalesceKey?: string | null;
}

/** A transaction claimed for a destination: its id and items stay fixed until it is acknowledged. */
export interface OutboundTransaction {
  destination: ServerName;
  txnId: string;
  originServerTs: number;
  pdus: QueuedPdu[];
  edus: QueuedEdu[];
}

export interface DestinationRetryState {
  destination: ServerName;
  failureCount: number;
  retryIntervalMs: number;
  /** 0 when the destination may be sent to now. */
  nextAttemptTs: number;
  lastFailureTs: number | null;
  lastSuccessTs: number | null;
}

export interface FederationQueueStore {
  /** Queues PDUs for each destination; a PDU already waiting for a destination is not queued twice. */
  enqueuePdus(destinations: readonly ServerName[], pdus: readonly PduToQueue[], queuedTs: number): Promise<void>;
  enqueueEdus(destinations: readonly ServerName[], edus: readonly EduToQueue[], queuedTs: number): Promise<void>;
  /** The claimed, unacknowledged transaction of a destination, if any (e.g. after a failure or a restart). */
  getPendingTransaction(destination: ServerName): Promise<OutboundTransaction | null>;
  /**
   * Claims the oldest waiting items (at most `maxPdus` PDUs and `maxEdus` EDUs) into a new transaction
   * `txnId`; returns null, claiming nothing, when nothing waits. Fails if a transaction is already pending.
   */
  claimTransaction(
    destination: ServerName,
    txnId: string,
    originServerTs: number,
    limits: { maxPdus: number; maxEdus: number },
  ): Promise<OutboundTransaction | null>;
  /** Removes the items of an acknowledged transaction and clears it from the destination. */
  completeTransaction(destination: ServerName, txnId: string): Promise<void>;
  getDestination(destination: ServerName): Promise<DestinationRetryState | null>;
  setDestinationRetry(state: DestinationRetryState): Promise<void>;
  /** Destinations with anything queued or in flight, with when they may next be tried. */
  destinationsWithPending(): Promise<Array<{ destination: ServerName; nextAttemptTs: number }>>;
  /** Items queued for a destination (waiting and in flight). */
  countQueued(destination: ServerName): Promise<{ pdus: number; edus: number }>;
}
