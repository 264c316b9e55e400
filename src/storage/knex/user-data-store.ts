import type { Knex } from 'knex';
import type {
  AccountDataRow,
  PresenceRow,
  PresenceState,
  ReceiptRow,
  UserDataStore,
} from '../interfaces/index.js';
import type { JsonObject } from '../../types/json.js';
import type { Dialect } from './dialect.js';
import { toSafeNumber } from './dialect.js';
import { CoalescedReads, groupBy, groupKeys } from './coalesced-reads.js';
import { CommitCache } from './commit-cache.js';

// The knex implementation of UserDataStore (tables of migrations/0004_user_data.ts).

interface AccountDataDbRow {
  user_id: string;
  room_id: string;
  type: string;
  content: string;
  stream_id: unknown;
}

interface ReceiptDbRow {
  room_id: string;
  receipt_type: string;
  user_id: string;
  thread_id: string;
  event_id: string;
  data: string;
  stream_id: unknown;
}

interface PresenceDbRow {
  user_id: string;
  state: string;
  status_msg: string | null;
  last_active_ts: unknown;
  currently_active: unknown;
  stream_id: unknown;
}

function parseObject(text: string): JsonObject {
  const v: unknown = JSON.parse(text);
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : {};
}

function toAccountData(r: AccountDataDbRow): AccountDataRow {
  return {
    userId: r.user_id,
    roomId: r.room_id,
    type: r.type,
    content: parseObject(r.content),
    streamId: toSafeNumber(r.stream_id, 'account_data.stream_id'),
  };
}

function toReceipt(r: ReceiptDbRow): ReceiptRow {
  return {
    roomId: r.room_id,
    receiptType: r.receipt_type,
    userId: r.user_id,
    threadId: r.thread_id,
    eventId: r.event_id,
    data: parseObject(r.data),
    streamId: toSafeNumber(r.stream_id, 'receipts.stream_id'),
  };
}

const PRESENCE_STATES: ReadonlySet<string> = new Set(['online', 'offline', 'unavailable']);

function toPresence(r: PresenceDbRow): PresenceRow {
  return {
    userId: r.user_id,
    state: (PRESENCE_STATES.has(r.state) ? r.state : 'offline') as PresenceState,
    statusMsg: r.status_msg,
    lastActiveTs: toSafeNumber(r.last_active_ts, 'presence.last_active_ts'),
    // SQLite returns 0/1 for booleans.
    currentlyActive: r.currently_active === true || r.currently_active === 1,
    streamId: toSafeNumber(r.stream_id, 'presence.stream_id'),
  };
}

interface UserReceiptsKey {
  roomIds: readonly string[];
  userId: string;
}

/** Users per coalesced receipts read, and the longest room list coalesced (coalesced-reads.ts). */
const USER_BATCH = 500;
const MAX_COALESCED_ROOMS = 16;
/** Receipt rows (and pairs) kept at most; past it the cache starts over. */
const MAX_CACHED_RECEIPT_ROWS = 100_000;

function pairKey(userId: string, roomId: string): string {
  return `${userId}\n${roomId}`;
}

export class KnexUserDataStore implements UserDataStore {
  /** The read receipts behind each woken member's unread counts, read together (coalesced-reads.ts). */
  private readonly userReceipts = new CoalescedReads<UserReceiptsKey, ReceiptRow[]>((keys) => this.readUserReceipts(keys), USER_BATCH);
  /**
   * Every receipt of a user in a room, for the unread counts of the user's syncs: each woken sync needs its
   * user's read position in the room, which changes far less often than messages arrive (on PostgreSQL the
   * read was a round trip in front of the counts' own). Receipts are written only through putReceipt, which
   * drops the pair after its write; a read fills the cache only if no receipt was written while it ran.
   */
  private readonly receiptsOf = new CommitCache<string, ReceiptRow[]>({
    weigh: (rows) => rows.length + 1,
    copy: (rows) => rows.map((r) => ({ ...r })),
    maxWeight: MAX_CACHED_RECEIPT_ROWS,
  });

  private readonly presenceOfUser = new CoalescedReads<string, PresenceRow | undefined>(async (ids) => {
    const rows = new Map((await this.presenceOfUsers([...new Set(ids)])).map((r) => [r.userId, r]));
    // Each caller its own object, as a read of its own would give.
    return ids.map((id) => {
      const row = rows.get(id);
      return row === undefined ? undefined : { ...row };
    });
  }, USER_BATCH);

  constructor(
    readonly knex: Knex,
    readonly dialect: Dialect,
  ) {}

  async putAccountData(row: AccountDataRow): Promise<void> {
    await this.dialect.upsert(
      this.knex,
      'account_data',
      {
        user_id: row.userId,
        room_id: row.roomId,
        type: row.type,
        content: JSON.stringify(row.content),
        stream_id: row.streamId,
      },
      ['user_id', 'room_id', 'type'],
    );
  }

  async getAccountData(userId: string, roomId: string, type: string): Promise<AccountDataRow | undefined> {
    const r: AccountDataDbRow | undefined = await this.knex('account_data')
      .where({ user_id: userId, room_id: roomId, type })
      .first();
    return r === undefined ? undefined : toAccountData(r);
  }

  async getAllAccountData(userId: string, range?: { from: number; to: number }): Promise<AccountDataRow[]> {
    const q = this.knex('account_data').where({ user_id: userId });
    if (range) q.andWhere('stream_id', '>', range.from).andWhere('stream_id', '<=', range.to);
    const rows: AccountDataDbRow[] = await q.orderBy('stream_id');
    return rows.map(toAccountData);
  }

  async createFilter(userId: string, filterJson: JsonObject): Promise<number> {
    const json = JSON.stringify(filterJson);
    // Two concurrent creations may pick the same id; the primary key refuses the second, which retries.
    for (let attempt = 0; ; attempt++) {
      const row: { max_id?: unknown } | undefined = await this.knex('user_filters')
        .max({ max_id: 'filter_id' })
        .where({ user_id: userId })
        .first();
      const raw = row?.max_id;
      const next = raw === null || raw === undefined ? 0 : toSafeNumber(raw, 'user_filters.filter_id') + 1;
      try {
        await this.knex('user_filters').insert({ user_id: userId, filter_id: next, filter_json: json });
        return next;
      } catch (err) {
        if (!this.dialect.isUniqueViolation(err) || attempt >= 5) throw err;
      }
    }
  }

  async getFilter(userId: string, filterId: number): Promise<JsonObject | undefined> {
    const r: { filter_json: string } | undefined = await this.knex('user_filters')
      .select('filter_json')
      .where({ user_id: userId, filter_id: filterId })
      .first();
    return r === undefined ? undefined : parseObject(r.filter_json);
  }

  async putReceipt(row: ReceiptRow): Promise<void> {
    await this.dialect.upsert(
      this.knex,
      'receipts',
      {
        room_id: row.roomId,
        receipt_type: row.receiptType,
        user_id: row.userId,
        thread_id: row.threadId,
        event_id: row.eventId,
        data: JSON.stringify(row.data),
        stream_id: row.streamId,
      },
      ['room_id', 'receipt_type', 'user_id', 'thread_id'],
    );
    this.receiptsOf.invalidate([pairKey(row.userId, row.roomId)]);
  }

  async getReceipts(roomIds: readonly string[], range?: { from: number; to: number }): Promise<ReceiptRow[]> {
    const out: ReceiptRow[] = [];
    const chunk = Math.max(1, this.dialect.maxBindParams - 8);
    for (let i = 0; i < roomIds.length; i += chunk) {
      const q = this.knex('receipts').whereIn('room_id', roomIds.slice(i, i + chunk));
      if (range) q.andWhere('stream_id', '>', range.from).andWhere('stream_id', '<=', range.to);
      const rows: ReceiptDbRow[] = await q.orderBy('stream_id');
      for (const r of rows) out.push(toReceipt(r));
    }
    return out;
  }

  async getUserReceiptsInRooms(roomIds: readonly string[], userId: string, receiptTypes: readonly string[]): Promise<ReceiptRow[]> {
    const out: ReceiptRow[] = [];
    const missing: string[] = [];
    for (const roomId of new Set(roomIds)) {
      const rows = this.receiptsOf.get(pairKey(userId, roomId));
      if (rows === undefined) missing.push(roomId);
      else out.push(...rows);
    }
    if (missing.length > 0) {
      const started = this.receiptsOf.startRead();
      // Long room lists (initial syncs) are one user's own business: read them in chunks as they are.
      const rows = missing.length <= MAX_COALESCED_ROOMS ? await this.userReceipts.get({ roomIds: missing, userId }) : await this.userReceiptsInRooms(missing, userId);
      const byRoom = groupBy(rows, (r) => r.roomId);
      for (const roomId of missing) this.receiptsOf.fill(started, pairKey(userId, roomId), byRoom.get(roomId) ?? []);
      out.push(...rows);
    }
    const types = new Set(receiptTypes);
    return out.filter((r) => types.has(r.receiptType));
  }

  /** One statement per distinct room list in the batch, for all its users (every receipt type: the cache keeps them all). */
  private async readUserReceipts(keys: readonly UserReceiptsKey[]): Promise<ReceiptRow[][]> {
    const out: ReceiptRow[][] = keys.map(() => []);
    const groups = groupKeys(keys, (k) => [...k.roomIds].sort().join('\0'));
    for (const group of groups.values()) {
      const { roomIds } = (group[0] as { key: UserReceiptsKey }).key;
      const userIds = [...new Set(group.map((g) => g.key.userId))];
      const rows: ReceiptDbRow[] = await this.knex('receipts')
        .whereIn('room_id', [...roomIds])
        .modify((q) => (userIds.length === 1 ? q.andWhere('user_id', userIds[0]) : q.whereIn('user_id', userIds)));
      const byUser = groupBy(rows, (r) => r.user_id);
      for (const { key, index } of group) out[index] = (byUser.get(key.userId) ?? []).map(toReceipt);
    }
    return out;
  }

  private async userReceiptsInRooms(roomIds: readonly string[], userId: string): Promise<ReceiptRow[]> {
    const out: ReceiptRow[] = [];
    const chunk = Math.max(1, this.dialect.maxBindParams - 8);
    for (let i = 0; i < roomIds.length; i += chunk) {
      const rows: ReceiptDbRow[] = await this.knex('receipts')
        .whereIn('room_id', roomIds.slice(i, i + chunk))
        .andWhere('user_id', userId);
      for (const r of rows) out.push(toReceipt(r));
    }
    return out;
  }

  async getUserReceipts(roomId: string, userId: string, receiptType: string): Promise<ReceiptRow[]> {
    const rows: ReceiptDbRow[] = await this.knex('receipts')
      .where({ room_id: roomId, user_id: userId, receipt_type: receiptType })
      .orderBy('stream_id', 'desc');
    return rows.map(toReceipt);
  }

  async putPresence(row: PresenceRow): Promise<void> {
    await this.dialect.upsert(
      this.knex,
      'presence',
      {
        user_id: row.userId,
        state: row.state,
        status_msg: row.statusMsg,
        last_active_ts: row.lastActiveTs,
        currently_active: row.currentlyActive,
        stream_id: row.streamId,
      },
      ['user_id'],
    );
  }

  async getPresence(userIds: readonly string[]): Promise<PresenceRow[]> {
    // One user's row: what every /sync reads as it starts (presence.ts), so the clients re-polling after a
    // fan-out are read together.
    if (userIds.length === 1) {
      const row = await this.presenceOfUser.get(userIds[0] as string);
      return row === undefined ? [] : [row];
    }
    return this.presenceOfUsers(userIds);
  }

  private async presenceOfUsers(userIds: readonly string[]): Promise<PresenceRow[]> {
    const out: PresenceRow[] = [];
    const chunk = Math.max(1, this.dialect.maxBindParams - 8);
    for (let i = 0; i < userIds.length; i += chunk) {
      const rows: PresenceDbRow[] = await this.knex('presence').whereIn('user_id', userIds.slice(i, i + chunk));
      for (const r of rows) out.push(toPresence(r));
    }
    return out;
  }

  async getPresenceChanges(from: number, to: number): Promise<PresenceRow[]> {
    const rows: PresenceDbRow[] = await this.knex('presence')
      .where('stream_id', '>', from)
      .andWhere('stream_id', '<=', to)
      .orderBy('stream_id');
    return rows.map(toPresence);
  }
}
