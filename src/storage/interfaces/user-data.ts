import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';

// Per-user and ephemeral data with stream positions: account data (global, per room; room tags are the
// per-room `m.tag` type), filters, receipts, presence (tables of migrations/0004_user_data.ts).
//
// Each stream's ids come from `storage.streamIdGenerator(<table>, 'stream_id')` with the tables
// 'account_data', 'receipts' and 'presence': the caller
// allocates the id, calls the write method, then `done()` and publishes the notice. Every table keeps only
// the latest row per key, so "changes in (from, to]" return each changed key once with its current value.

export interface AccountDataRow {
  userId: UserId;
  /** '' for global account data. */
  roomId: RoomId | '';
  type: string;
  content: JsonObject;
  streamId: number;
}

export interface ReceiptRow {
  roomId: RoomId;
  receiptType: string;
  userId: UserId;
  /** '' for an unthreaded receipt; 'main' or a thread root event id otherwise. */
  threadId: string;
  eventId: EventId;
  /** The receipt's data object (at least `ts`). */
  data: JsonObject;
  streamId: number;
}

export type PresenceState = 'online' | 'offline' | 'unavailable';

export interface PresenceRow {
  userId: UserId;
  state: PresenceState;
  statusMsg: string | null;
  lastActiveTs: number;
  currentlyActive: boolean;
  streamId: number;
}

export interface UserDataStore {
  /** Writes (replaces) one account data entry with a new stream id. */
  putAccountData(row: AccountDataRow): Promise<void>;
  getAccountData(userId: UserId, roomId: RoomId | '', type: string): Promise<AccountDataRow | undefined>;
  /** Every account data entry of a user (global and per room), optionally only those with from < stream_id <= to. */
  getAllAccountData(userId: UserId, range?: { from: number; to: number }): Promise<AccountDataRow[]>;

  /** Stores a filter and returns its new id (per user, increasing from 0). */
  createFilter(userId: UserId, filterJson: JsonObject): Promise<number>;
  getFilter(userId: UserId, filterId: number): Promise<JsonObject | undefined>;

  /** Writes (replaces) the latest receipt for (room, type, user, thread). */
  putReceipt(row: ReceiptRow): Promise<void>;
  /** Receipts of these rooms (the latest per key), optionally only those with from < stream_id <= to. */
  getReceipts(roomIds: readonly RoomId[], range?: { from: number; to: number }): Promise<ReceiptRow[]>;
  /** One user's latest receipt of a type in a room (any thread), newest first. */
  getUserReceipts(roomId: RoomId, userId: UserId, receiptType: string): Promise<ReceiptRow[]>;
  /** One user's receipts of these types in these rooms (any thread). */
  getUserReceiptsInRooms(roomIds: readonly RoomId[], userId: UserId, receiptTypes: readonly string[]): Promise<ReceiptRow[]>;

  putPresence(row: PresenceRow): Promise<void>;
  getPresence(userIds: readonly UserId[]): Promise<PresenceRow[]>;
  /** Presence rows with from < stream_id <= to (each user once, latest state). */
  getPresenceChanges(from: number, to: number): Promise<PresenceRow[]>;
}
