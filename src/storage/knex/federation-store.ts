import type { Knex } from 'knex';
import type {
  DestinationRetryState,
  EduToQueue,
  FederationQueueStore,
  OutboundTransaction,
  PduToQueue,
  QueuedEdu,
  QueuedPdu,
} from '../interfaces/index.js';
import type { ServerName } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { Dialect } from './dialect.js';
import { toSafeNumber } from './dialect.js';

const DESTS = 'federation_destinations';
const PDUS = 'federation_outbound_pdus';
const EDUS = 'federation_outbound_edus';

interface PduRow {
  id: unknown;
  event_id: string;
  room_id: string;
  queued_ts: unknown;
}

interface EduRow {
  id: unknown;
  edu_type: string;
  content: string;
  queued_ts: unknown;
}

interface DestRow {
  destination: string;
  failure_count: unknown;
  retry_interval_ms: unknown;
  next_attempt_ts: unknown;
  last_failure_ts: unknown;
  last_success_ts: unknown;
  txn_id: string | null;
  txn_origin_server_ts: unknown;
}

const pduFromRow = (r: PduRow): QueuedPdu => ({
  id: toSafeNumber(r.id, 'id'),
  eventId: r.event_id,
  roomId: r.room_id,
  queuedTs: toSafeNumber(r.queued_ts, 'queued_ts'),
});

const eduFromRow = (r: EduRow): QueuedEdu => ({
  id: toSafeNumber(r.id, 'id'),
  eduType: r.edu_type,
  content: JSON.parse(r.content) as JsonObject,
  queuedTs: toSafeNumber(r.queued_ts, 'queued_ts'),
});

const nullableNumber = (v: unknown, what: string): number | null => (v === null || v === undefined ? null : toSafeNumber(v, what));

export class KnexFederationQueueStore implements FederationQueueStore {
  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
  ) {}

  async enqueuePdus(destinations: readonly ServerName[], pdus: readonly PduToQueue[], queuedTs: number): Promise<void> {
    const rows = destinations.flatMap((destination) =>
      pdus.map((p) => ({ destination, event_id: p.eventId, room_id: p.roomId, queued_ts: queuedTs, txn_id: null })),
    );
    if (rows.length === 0) return;
    // An empty update list makes the upsert "insert, ignore duplicates".
    await this.knex.transaction((trx) => this.dialect.upsert(trx, PDUS, rows, ['destination', 'event_id'], []));
  }

  async enqueueEdus(destinations: readonly ServerName[], edus: readonly EduToQueue[], queuedTs: number): Promise<void> {
    if (destinations.length === 0 || edus.length === 0) return;
    await this.knex.transaction(async (trx) => {
      for (const edu of edus) {
        if (edu.coalesceKey == null) continue;
        await trx(EDUS)
          .whereIn('destination', [...destinations])
          .andWhere({ edu_type: edu.eduType, coalesce_key: edu.coalesceKey })
          .whereNull('txn_id')
          .delete();
      }
      const rows = destinations.flatMap((destination) =>
        edus.map((e) => ({
          destination,
          edu_type: e.eduType,
          content: JSON.stringify(e.content),
          coalesce_key: e.coalesceKey ?? null,
          queued_ts: queuedTs,
          txn_id: null,
        })),
      );
      const size = this.dialect.batchSize(6);
      for (let i = 0; i < rows.length; i += size) await trx(EDUS).insert(rows.slice(i, i + size));
    });
  }

  private async loadTransaction(db: Knex | Knex.Transaction, dest: DestRow): Promise<OutboundTransaction | null> {
    if (dest.txn_id === null) return null;
    const [pdus, edus] = [
      (await db(PDUS).where({ destination: dest.destination, txn_id: dest.txn_id }).orderBy('id')) as PduRow[],
      (await db(EDUS).where({ destination: dest.destination, txn_id: dest.txn_id }).orderBy('id')) as EduRow[],
    ];
    return {
      destination: dest.destination,
      txnId: dest.txn_id,
      originServerTs: toSafeNumber(dest.txn_origin_server_ts, 'txn_origin_server_ts'),
      pdus: pdus.map(pduFromRow),
      edus: edus.map(eduFromRow),
    };
  }

  async getPendingTransaction(destination: ServerName): Promise<OutboundTransaction | null> {
    const dest: DestRow | undefined = await this.knex(DESTS).where({ destination }).first();
    return dest === undefined ? null : this.loadTransaction(this.knex, dest);
  }

  async claimTransaction(
    destination: ServerName,
    txnId: string,
    originServerTs: number,
    limits: { maxPdus: number; maxEdus: number },
  ): Promise<OutboundTransaction | null> {
    return this.knex.transaction(async (trx) => {
      const dest: DestRow | undefined = await trx(DESTS).where({ destination }).first();
      if (dest !== undefined && dest.txn_id !== null) {
        throw new Error(`destination ${destination} already has transaction ${dest.txn_id} in flight`);
      }
      const pduIds = ((await trx(PDUS).select('id').where({ destination }).whereNull('txn_id').orderBy('id').limit(limits.maxPdus)) as Array<{ id: unknown }>).map((r) => toSafeNumber(r.id, 'id'));
      const eduIds = ((await trx(EDUS).select('id').where({ destination }).whereNull('txn_id').orderBy('id').limit(limits.maxEdus)) as Array<{ id: unknown }>).map((r) => toSafeNumber(r.id, 'id'));
      if (pduIds.length === 0 && eduIds.length === 0) return null;
      const size = this.dialect.maxBindParams - 10;
      for (let i = 0; i < pduIds.length; i += size) await trx(PDUS).whereIn('id', pduIds.slice(i, i + size)).update({ txn_id: txnId });
      for (let i = 0; i < eduIds.length; i += size) await trx(EDUS).whereIn('id', eduIds.slice(i, i + size)).update({ txn_id: txnId });
      await this.dialect.upsert(trx, DESTS, { destination, txn_id: txnId, txn_origin_server_ts: originServerTs }, ['destination']);
      const row: DestRow = await trx(DESTS).where({ destination }).first();
      return this.loadTransaction(trx, row);
    });
  }

  async completeTransaction(destination: ServerName, txnId: string): Promise<void> {
    await this.knex.transaction(async (trx) => {
      await trx(PDUS).where({ destination, txn_id: txnId }).delete();
      await trx(EDUS).where({ destination, txn_id: txnId }).delete();
      await trx(DESTS).where({ destination, txn_id: txnId }).update({ txn_id: null, txn_origin_server_ts: null });
    });
  }

  async getDestination(destination: ServerName): Promise<DestinationRetryState | null> {
    const row: DestRow | undefined = await this.knex(DESTS).where({ destination }).first();
    if (row === undefined) return null;
    return {
      destination: row.destination,
      failureCount: toSafeNumber(row.failure_count, 'failure_count'),
      retryIntervalMs: toSafeNumber(row.retry_interval_ms, 'retry_interval_ms'),
      nextAttemptTs: toSafeNumber(row.next_attempt_ts, 'next_attempt_ts'),
      lastFailureTs: nullableNumber(row.last_failure_ts, 'last_failure_ts'),
      lastSuccessTs: nullableNumber(row.last_success_ts, 'last_success_ts'),
    };
  }

  async setDestinationRetry(state: DestinationRetryState): Promise<void> {
    await this.dialect.upsert(
      this.knex,
      DESTS,
      {
        destination: state.destination,
        failure_count: state.failureCount,
        retry_interval_ms: state.retryIntervalMs,
        next_attempt_ts: state.nextAttemptTs,
        last_failure_ts: state.lastFailureTs,
        last_success_ts: state.lastSuccessTs,
      },
      ['destination'],
    );
  }

  async destinationsWithPending(): Promise<Array<{ destination: ServerName; nextAttemptTs: number }>> {
    const found = new Set<string>();
    for (const table of [PDUS, EDUS]) {
      for (const r of (await this.knex(table).distinct('destination')) as Array<{ destination: string }>) found.add(r.destination);
    }
    if (found.size === 0) return [];
    const dests = [...found];
    const retry = new Map<string, number>();
    const size = this.dialect.maxBindParams - 10;
    for (let i = 0; i < dests.length; i += size) {
      const rows = (await this.knex(DESTS).select('destination', 'next_attempt_ts').whereIn('destination', dests.slice(i, i + size))) as Array<{ destination: string; next_attempt_ts: unknown }>;
      for (const r of rows) retry.set(r.destination, toSafeNumber(r.next_attempt_ts, 'next_attempt_ts'));
    }
    return dests.sort().map((destination) => ({ destination, nextAttemptTs: retry.get(destination) ?? 0 }));
  }

  async countQueued(destination: ServerName): Promise<{ pdus: number; edus: number }> {
    const count = async (table: string) => {
      const row = (await this.knex(table).where({ destination }).count({ n: '*' }).first()) as { n: unknown } | undefined;
      return row === undefined ? 0 : toSafeNumber(row.n, 'count');
    };
    return { pdus: await count(PDUS), edus: await count(EDUS) };
  }
}
