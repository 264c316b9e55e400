import type { Knex } from 'knex';
import type { RoomId, UserId } from '../../types/ids.js';
import type { RoomRow, RoomStore, RoomWriteStore } from '../interfaces/index.js';
import type { Dialect } from './dialect.js';
import { newRoomMemory, type RoomMemory } from './room-memory.js';
import { KnexRoomReadStore } from './room-read-store.js';
import { KnexRoomWriteStore } from './room-write-store.js';

// The room store: the read half (room-read-store.ts, inherited so every read method, including the read
// service's extras, is available) plus the write half (room-write-store.ts) used only by the room writer.
export class KnexRoomStore extends KnexRoomReadStore implements RoomStore {
  private readonly writer: KnexRoomWriteStore;
  private readonly db: Knex;

  constructor(knex: Knex, dialect: Dialect, memory: RoomMemory = newRoomMemory()) {
    super(knex, dialect, memory);
    this.db = knex;
    this.writer = new KnexRoomWriteStore(knex, dialect, memory);
  }

  createRoom(row: RoomRow): Promise<void> {
    return this.writer.createRoom(row);
  }
  persistEvents(batch: Parameters<RoomWriteStore['persistEvents']>[0]): Promise<void> {
    return this.writer.persistEvents(batch);
  }
  persistEventBatches(...args: Parameters<RoomWriteStore['persistEventBatches']>): Promise<void> {
    return this.writer.persistEventBatches(...args);
  }
  completePartialState(batch: Parameters<RoomWriteStore['completePartialState']>[0]): Promise<void> {
    return this.writer.completePartialState(batch);
  }
  findDeadStateGroups(limit: number): Promise<Map<RoomId, number[]>> {
    return this.writer.findDeadStateGroups(limit);
  }
  deleteDeadStateGroups(roomId: RoomId, ids: readonly number[]): Promise<number[]> {
    return this.writer.deleteDeadStateGroups(roomId, ids);
  }
  setRoomPublic(roomId: RoomId, isPublic: boolean): Promise<void> {
    return this.writer.setRoomPublic(roomId, isPublic);
  }
  createAlias(alias: string, roomId: RoomId, creator: UserId, servers: readonly string[]): Promise<boolean> {
    return this.writer.createAlias(alias, roomId, creator, servers);
  }
  deleteAlias(alias: string): Promise<boolean> {
    return this.writer.deleteAlias(alias);
  }
  moveAliases(from: RoomId, to: RoomId): Promise<string[]> {
    return this.writer.moveAliases(from, to);
  }
  forgetRoom(userId: UserId, roomId: RoomId): Promise<void> {
    return this.writer.forgetRoom(userId, roomId);
  }
  isRoomForgotten(userId: UserId, roomId: RoomId): Promise<boolean> {
    return this.writer.isRoomForgotten(userId, roomId);
  }
  getForgottenRoomIds(userId: UserId): Promise<Set<RoomId>> {
    return this.writer.getForgottenRoomIds(userId);
  }
  async getInboundTxnResponse(origin: string, txnId: string): Promise<string | undefined> {
    const row: { response_json: string } | undefined = await this.db('federation_inbound_txns').select('response_json').where({ origin, txn_id: txnId }).first();
    return row?.response_json;
  }
  async putInboundTxnResponse(origin: string, txnId: string, responseJson: string, receivedTs: number): Promise<void> {
    await this.db('federation_inbound_txns')
      .insert({ origin, txn_id: txnId, response_json: responseJson, received_ts: receivedTs })
      .onConflict(['origin', 'txn_id'])
      .ignore();
  }
}
