import type { Knex } from 'knex';
import type { AppserviceDevicePositions, AppserviceStore, InboxRow, NewAppserviceTxn, PendingAppserviceTxn, StoredEvent } from '../interfaces/index.js';
import type { JsonObject } from '../../types/json.js';
import type { RoomId } from '../../types/ids.js';
import type { Dialect } from './dialect.js';
import { toSafeNumber } from './dialect.js';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from './room-read-rows.js';
import { WriteBatch } from './write-batch.js';

interface TxnRow {
  as_id: string;
  txn_id: unknown;
  body: string;
  event_count: unknown;
  created_ts: unknown;
}

function toTxn(row: TxnRow): PendingAppserviceTxn {
  return {
    asId: row.as_id,
    txnId: toSafeNumber(row.txn_id, 'appservice_txns.txn_id'),
    body: row.body,
    eventCount: toSafeNumber(row.event_count, 'appservice_txns.event_count'),
    createdTs: toSafeNumber(row.created_ts, 'appservice_txns.created_ts'),
  };
}

export class KnexAppserviceStore implements AppserviceStore {
  /**
   * Each service's last transaction id once read. Only createTxn moves it, and a service's queue, its only
   * caller, runs one at a time in this one process, so the stored value need not be read back each time.
   */
  private readonly lastTxnIds = new Map<string, number>();

  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
  ) {}

  async getEventsPosition(asId: string): Promise<number | null> {
    const row: { events_position: unknown } | undefined = await this.knex('appservice_stream').select('events_position').where({ as_id: asId }).first();
    return row === undefined ? null : toSafeNumber(row.events_position, 'appservice_stream.events_position');
  }

  async initPosition(asId: string, position: number): Promise<void> {
    await this.knex('appservice_stream').insert({ as_id: asId, events_position: position, last_txn_id: 0 }).onConflict('as_id').ignore();
  }

  async setEventsPosition(asId: string, position: number): Promise<void> {
    await this.dialect.upsert(this.knex, 'appservice_stream', { as_id: asId, events_position: position }, ['as_id']);
  }

  async createTxn(asId: string, txn: NewAppserviceTxn): Promise<number> {
    const txnId = (this.lastTxnIds.get(asId) ?? (await this.readLastTxnId(asId))) + 1;
    // Dropped first: a write that failed half-way (the connection lost after the commit, say) leaves the next
    // transaction to read the stored id again.
    this.lastTxnIds.delete(asId);
    const writes = (db: Knex) => {
      const batch = new WriteBatch(this.dialect);
      if (txn.acknowledged !== undefined) batch.add(db('appservice_txns').where({ as_id: asId, txn_id: txn.acknowledged }).delete());
      batch.rows('appservice_txns', [{ as_id: asId, txn_id: txnId, body: txn.body(txnId), event_count: txn.eventCount, created_ts: txn.now }]);
      const d = txn.devicePositions;
      const devices = d === undefined ? {} : { to_device_position: d.toDevice, device_lists_position: d.deviceLists };
      batch.add(db('appservice_stream').update({ events_position: txn.position, last_txn_id: txnId, ...devices }).where({ as_id: asId }));
      return batch;
    };
    // On PostgreSQL the three writes are one statement, atomic by itself: no BEGIN and COMMIT round trips on
    // the way from a message to its bridge.
    if (!(await writes(this.knex).flushAsOne(this.knex))) await this.knex.transaction((trx) => writes(trx).flush(trx));
    this.lastTxnIds.set(asId, txnId);
    return txnId;
  }

  /** The stored last transaction id, with the service's row made first where it has none (at id 0, position 0). */
  private async readLastTxnId(asId: string): Promise<number> {
    await this.initPosition(asId, 0);
    const row: { last_txn_id: unknown } = await this.knex('appservice_stream').select('last_txn_id').where({ as_id: asId }).first();
    return toSafeNumber(row.last_txn_id, 'appservice_stream.last_txn_id');
  }

  async getDevicePositions(asId: string): Promise<AppserviceDevicePositions> {
    const row: { to_device_position: unknown; device_lists_position: unknown } | undefined = await this.knex('appservice_stream')
      .select('to_device_position', 'device_lists_position')
      .where({ as_id: asId })
      .first();
    const num = (v: unknown, what: string) => (v === null || v === undefined ? null : toSafeNumber(v, what));
    return {
      toDevice: num(row?.to_device_position, 'appservice_stream.to_device_position'),
      deviceLists: num(row?.device_lists_position, 'appservice_stream.device_lists_position'),
    };
  }

  async setDevicePositions(asId: string, positions: { toDevice: number; deviceLists: number }): Promise<void> {
    const values = { to_device_position: positions.toDevice, device_lists_position: positions.deviceLists };
    const updated = await this.knex('appservice_stream').update(values).where({ as_id: asId });
    if (updated === 0) {
      // The events position starts at 0 only here; the queue initialises it before it ever reads devices.
      await this.knex('appservice_stream').insert({ as_id: asId, events_position: 0, last_txn_id: 0, ...values }).onConflict('as_id').merge(values);
    }
  }

  async getToDeviceInRange(from: number, to: number, limit: number): Promise<InboxRow[]> {
    const rows: Array<{ user_id: string; device_id: string; stream_id: unknown; message_json: string }> = await this.knex('device_inbox')
      .select('user_id', 'device_id', 'stream_id', 'message_json')
      .where('stream_id', '>', from)
      .andWhere('stream_id', '<=', to)
      .orderBy([{ column: 'stream_id' }, { column: 'user_id' }, { column: 'device_id' }])
      .limit(limit);
    return rows.map((r) => ({
      userId: r.user_id,
      deviceId: r.device_id,
      streamId: toSafeNumber(r.stream_id, 'device_inbox.stream_id'),
      message: JSON.parse(r.message_json) as JsonObject,
    }));
  }

  async getOldestTxn(asId: string): Promise<PendingAppserviceTxn | undefined> {
    const row: TxnRow | undefined = await this.knex('appservice_txns').select('*').where({ as_id: asId }).orderBy('txn_id', 'asc').first();
    return row === undefined ? undefined : toTxn(row);
  }

  async countPendingTxns(asId: string): Promise<{ txns: number; events: number }> {
    const row = (await this.knex('appservice_txns').where({ as_id: asId }).count({ n: '*' }).sum({ e: 'event_count' }).first()) as
      | { n: unknown; e: unknown }
      | undefined;
    return { txns: toSafeNumber(row?.n ?? 0, 'count'), events: row?.e === null || row?.e === undefined ? 0 : toSafeNumber(row.e, 'sum') };
  }

  async deleteTxn(asId: string, txnId: number): Promise<void> {
    await this.knex('appservice_txns').where({ as_id: asId, txn_id: txnId }).delete();
  }

  async getEventsInRange(from: number, to: number, limit: number): Promise<StoredEvent[]> {
    const rows: EventRow[] = await this.knex('events')
      .select(...EVENT_COLUMNS)
      .where('stream_ordering', '>', from)
      .andWhere('stream_ordering', '<=', to)
      .andWhere({ outlier: false, soft_failed: false })
      .whereNull('rejected_reason')
      .orderBy('stream_ordering', 'asc')
      .limit(limit);
    return rows.map(toStoredEvent);
  }

  async setRoomListed(asId: string, networkId: string, roomId: RoomId, listed: boolean): Promise<void> {
    if (listed) {
      await this.knex('appservice_room_list').insert({ as_id: asId, network_id: networkId, room_id: roomId }).onConflict(['as_id', 'network_id', 'room_id']).ignore();
    } else {
      await this.knex('appservice_room_list').where({ as_id: asId, network_id: networkId, room_id: roomId }).delete();
    }
  }

  async getListedRooms(asId: string | null, networkId: string | null): Promise<RoomId[]> {
    const q = this.knex('appservice_room_list').distinct('room_id');
    if (asId !== null) q.where({ as_id: asId });
    if (networkId !== null) q.where({ network_id: networkId });
    const rows: Array<{ room_id: string }> = await q;
    return rows.map((r) => r.room_id);
  }
}
