import { randomBytes } from 'node:crypto';
import type { Logger } from '../../http/logger.js';
import type { DestinationRetryState, EduToQueue, FederationQueueStore, OutboundTransaction, PduToQueue } from '../../storage/interfaces/index.js';
import type { JsonObject } from '../../types/json.js';
import { DEFAULT_DESTINATION_BACKOFF, nextRetryInterval, type BackoffPolicy } from './backoff.js';
import { federationPath, type FederationClient } from './federation-client.js';

// Outbound transactions (server-server API, "Transactions"): one durable queue per destination, at most
// one transaction in flight to each, at most 50 PDUs and 100 EDUs per transaction. A transaction's id and
// contents are fixed when it is claimed, so a retry (even after a restart) is the same transaction and the
// receiver's de-duplication by (origin, txn_id) makes delivery idempotent. Failures back off per destination;
// a destination that contacts us is assumed back and gets its queue at once.

export const MAX_PDUS_PER_TRANSACTION = 50;
export const MAX_EDUS_PER_TRANSACTION = 100;

/** Loads PDUs to send, by event id (the room store in production). Missing ids are left out. */
export interface PduLoader {
  loadPdus(eventIds: readonly string[]): Promise<Map<string, JsonObject>>;
}

export interface TransactionSenderDeps {
  serverName: string;
  store: FederationQueueStore;
  client: Pick<FederationClient, 'putJson' | 'isDestinationAllowed'>;
  pdus: PduLoader;
  logger: Logger;
  now: () => number;
  backoff?: Partial<BackoffPolicy>;
  random?: () => number;
  /** Request timeout of a /send (default 60 s). */
  sendTimeoutMs?: number;
}

export interface TransactionSender {
  /** Resumes every destination with queued items (after a restart), respecting their backoff. */
  start(): Promise<void>;
  /** Queues PDUs for the destinations (ourselves and non-whitelisted servers are skipped) and sends. */
  sendPdus(destinations: Iterable<string>, pdus: readonly PduToQueue[]): Promise<void>;
  sendEdus(destinations: Iterable<string>, edus: readonly EduToQueue[]): Promise<void>;
  /** The destination just talked to us: forget its backoff and send what is waiting. */
  markDestinationUp(destination: string): void;
  /** Resolves once no destination has a send loop running (timers for backoff may remain). For tests. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface DestinationState {
  running: Promise<void> | null;
  /** More work was queued while the loop ran; run it again when it ends. */
  again: boolean;
  timer: NodeJS.Timeout | null;
  /** Known to be backing off (in memory), so markDestinationUp has something to undo. */
  backingOff: boolean;
}

export function createTransactionSender(deps: TransactionSenderDeps): TransactionSender {
  const policy: BackoffPolicy = { ...DEFAULT_DESTINATION_BACKOFF, ...deps.backoff };
  const log = deps.logger;
  const states = new Map<string, DestinationState>();
  let closed = false;
  let txnCounter = 0;
  const txnPrefix = randomBytes(4).toString('hex');

  const stateOf = (destination: string): DestinationState => {
    let s = states.get(destination);
    if (!s) {
      s = { running: null, again: false, timer: null, backingOff: false };
      states.set(destination, s);
    }
    return s;
  };

  // Unique across restarts (time) and within a process (counter); url-safe.
  const newTxnId = () => `${deps.now().toString(36)}.${txnPrefix}.${(txnCounter++).toString(36)}`;

  function schedule(destination: string, at: number): void {
    const s = stateOf(destination);
    if (closed) return;
    if (s.timer) clearTimeout(s.timer);
    s.backingOff = true;
    s.timer = setTimeout(() => {
      s.timer = null;
      wake(destination);
    }, Math.max(0, at - deps.now()));
    s.timer.unref();
  }

  function wake(destination: string): void {
    if (closed) return;
    const s = stateOf(destination);
    if (s.running) {
      s.again = true;
      return;
    }
    if (s.timer) return;
    s.running = sendLoop(destination)
      .catch((err: unknown) => {
        if (!closed) log.error({ err, destination }, 'federation send loop failed');
      })
      .finally(() => {
        s.running = null;
        if (s.again && !closed) {
          s.again = false;
          wake(destination);
        }
      });
  }

  async function transactionBody(txn: OutboundTransaction): Promise<Record<string, unknown> | null> {
    const loaded = txn.pdus.length > 0 ? await deps.pdus.loadPdus(txn.pdus.map((p) => p.eventId)) : new Map<string, JsonObject>();
    const pdus: JsonObject[] = [];
    for (const p of txn.pdus) {
      const pdu = loaded.get(p.eventId);
      if (pdu) pdus.push(pdu);
      else log.warn({ destination: txn.destination, eventId: p.eventId }, 'queued PDU no longer exists; dropping it');
    }
    if (pdus.length === 0 && txn.edus.length === 0) return null;
    return {
      origin: deps.serverName,
      origin_server_ts: txn.originServerTs,
      pdus,
      edus: txn.edus.map((e) => ({ edu_type: e.eduType, content: e.content })),
    };
  }

  async function recordFailure(destination: string, prev: DestinationRetryState | null, err: unknown): Promise<void> {
    const now = deps.now();
    const interval = nextRetryInterval(prev?.retryIntervalMs ?? 0, policy, deps.random);
    const state: DestinationRetryState = {
      destination,
      failureCount: (prev?.failureCount ?? 0) + 1,
      retryIntervalMs: interval,
      nextAttemptTs: now + interval,
      lastFailureTs: now,
      lastSuccessTs: prev?.lastSuccessTs ?? null,
    };
    await deps.store.setDestinationRetry(state);
    log.info(
      { destination, failures: state.failureCount, retryInMs: interval, err: err instanceof Error ? err.message : String(err) },
      'federation transaction failed; backing off',
    );
    schedule(destination, state.nextAttemptTs);
  }

  async function sendLoop(destination: string): Promise<void> {
    let retry = await deps.store.getDestination(destination);
    if (retry && retry.nextAttemptTs > deps.now()) {
      schedule(destination, retry.nextAttemptTs);
      return;
    }
    stateOf(destination).backingOff = false;
    while (!closed) {
      const txn =
        (await deps.store.getPendingTransaction(destination)) ??
        (await deps.store.claimTransaction(destination, newTxnId(), deps.now(), {
          maxPdus: MAX_PDUS_PER_TRANSACTION,
          maxEdus: MAX_EDUS_PER_TRANSACTION,
        }));
      if (!txn) return;
      const body = await transactionBody(txn);
      if (body) {
        try {
          const res = await deps.client.putJson(destination, federationPath`/_matrix/federation/v1/send/${txn.txnId}`, body, {
            retries: 0,
            timeoutMs: deps.sendTimeoutMs ?? 60_000,
          });
          logPduErrors(destination, txn.txnId, res);
        } catch (err) {
          if (closed) return;
          await recordFailure(destination, retry, err);
          return;
        }
      }
      await deps.store.completeTransaction(destination, txn.txnId);
      if (retry && (retry.failureCount > 0 || retry.nextAttemptTs > 0)) {
        retry = { ...retry, failureCount: 0, retryIntervalMs: 0, nextAttemptTs: 0, lastSuccessTs: deps.now() };
        await deps.store.setDestinationRetry(retry);
        log.info({ destination }, 'destination is reachable again');
      }
    }
  }

  function logPduErrors(destination: string, txnId: string, res: JsonObject): void {
    const results = res.pdus;
    if (typeof results !== 'object' || results === null || Array.isArray(results)) return;
    for (const [eventId, result] of Object.entries(results)) {
      if (typeof result === 'object' && result !== null && !Array.isArray(result) && typeof result.error === 'string') {
        log.info({ destination, txnId, eventId, error: result.error }, 'destination rejected a PDU');
      }
    }
  }

  function targets(destinations: Iterable<string>): string[] {
    const out = new Set<string>();
    for (const d of destinations) if (d !== deps.serverName && deps.client.isDestinationAllowed(d)) out.add(d);
    return [...out];
  }

  return {
    async start() {
      for (const { destination, nextAttemptTs } of await deps.store.destinationsWithPending()) {
        if (!deps.client.isDestinationAllowed(destination)) continue;
        if (nextAttemptTs > deps.now()) schedule(destination, nextAttemptTs);
        else wake(destination);
      }
    },
    async sendPdus(destinations, pdus) {
      const dests = targets(destinations);
      if (dests.length === 0 || pdus.length === 0) return;
      await deps.store.enqueuePdus(dests, pdus, deps.now());
      for (const d of dests) wake(d);
    },
    async sendEdus(destinations, edus) {
      const dests = targets(destinations);
      if (dests.length === 0 || edus.length === 0) return;
      await deps.store.enqueueEdus(dests, edus, deps.now());
      for (const d of dests) wake(d);
    },
    markDestinationUp(destination) {
      const s = states.get(destination);
      if (!s || !s.backingOff || closed) return;
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
      s.backingOff = false;
      void (async () => {
        const prev = await deps.store.getDestination(destination);
        if (prev) await deps.store.setDestinationRetry({ ...prev, retryIntervalMs: 0, nextAttemptTs: 0 });
        wake(destination);
      })().catch((err: unknown) => log.error({ err, destination }, 'could not reset destination backoff'));
    },
    async idle() {
      for (;;) {
        const running = [...states.values()].map((s) => s.running).filter((p): p is Promise<void> => p !== null);
        if (running.length === 0) return;
        await Promise.all(running);
      }
    },
    async close() {
      closed = true;
      for (const s of states.values()) {
        if (s.timer) clearTimeout(s.timer);
        s.timer = null;
      }
      const running = [...states.values()].map((s) => s.running).filter((p): p is Promise<void> => p !== null);
      await Promise.all(running);
    },
  };
}
