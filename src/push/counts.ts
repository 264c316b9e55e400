import type { PushActionRow, Storage, ThreadCounts } from '../storage/interfaces/index.js';
import type { RoomId, UserId } from '../types/ids.js';

// Unread notification counts are derived, not stored: a push action row counts while it is after the
// user's read receipts. An unthreaded receipt (m.read or m.read.private) covers every thread up to its
// event; a threaded receipt covers only its own thread ('main' or a root event id). Rows are kept after
// being read so GET /notifications can list them with `read: true`.

export interface ReadPositions {
  /** Stream ordering of the latest unthreaded receipt; -1 when there is none. */
  unthreaded: number;
  /** Per thread id ('main' or root event id), the latest threaded receipt's stream ordering. */
  threads: Map<string, number>;
}

export interface RoomCounts {
  notificationCount: number;
  highlightCount: number;
  /** Counts of rows per thread id ('main' for the main timeline). */
  threads: Map<string, { notificationCount: number; highlightCount: number }>;
}

const RECEIPT_TYPES = ['m.read', 'm.read.private'] as const;

export async function readPositions(storage: Storage, userId: UserId, roomId: RoomId): Promise<ReadPositions> {
  return (await readPositionsInRooms(storage, userId, [roomId])).get(roomId) ?? { unthreaded: -1, threads: new Map() };
}

/** Read positions of many rooms from one receipts read and one events read (per chunk of rooms), not 3 per room. */
export async function readPositionsInRooms(storage: Storage, userId: UserId, roomIds: readonly RoomId[]): Promise<Map<RoomId, ReadPositions>> {
  const out = new Map<RoomId, ReadPositions>();
  for (const roomId of roomIds) out.set(roomId, { unthreaded: -1, threads: new Map() });
  if (roomIds.length === 0) return out;
  const receipts = await storage.userData.getUserReceiptsInRooms(roomIds, userId, RECEIPT_TYPES);
  // Only the receipts' positions are needed; the members woken by one message read them together.
  const orderings = receipts.length > 0 ? await storage.rooms.getStreamOrderings(receipts.map((r) => r.eventId)) : new Map<string, number>();
  for (const r of receipts) {
    const ordering = orderings.get(r.eventId);
    const positions = out.get(r.roomId);
    if (ordering === undefined || positions === undefined) continue;
    if (r.threadId === '') positions.unthreaded = Math.max(positions.unthreaded, ordering);
    else positions.threads.set(r.threadId, Math.max(positions.threads.get(r.threadId) ?? -1, ordering));
  }
  return out;
}

export function isRead(row: PushActionRow, read: ReadPositions): boolean {
  return row.streamOrdering <= read.unthreaded || row.streamOrdering <= (read.threads.get(row.threadId) ?? -1);
}

export async function roomCounts(storage: Storage, userId: UserId, roomId: RoomId, known?: ReadPositions): Promise<RoomCounts> {
  const read = known ?? (await readPositions(storage, userId, roomId));
  // The store counts what isRead would leave: rows past the unthreaded receipt and past their thread's own.
  return summed(await storage.push.countUnreadPushActions(userId, roomId, { after: read.unthreaded, threads: read.threads }));
}

/** A room's counts from its unread rows counted per thread. */
export function summed(counted: ReadonlyMap<string, ThreadCounts>): RoomCounts {
  const out: RoomCounts = { notificationCount: 0, highlightCount: 0, threads: new Map() };
  for (const [threadId, c] of counted) {
    out.notificationCount += c.notify;
    out.highlightCount += c.highlight;
    out.threads.set(threadId, { notificationCount: c.notify, highlightCount: c.highlight });
  }
  return out;
}

/** The badge a push carries: rooms with unread notifications (Synapse's default group_unread_count_by_room). */
export async function badgeCount(storage: Storage, userId: UserId): Promise<number> {
  let rooms = 0;
  for (const roomId of await storage.push.getRoomsWithPushActions(userId, -1)) {
    if ((await roomCounts(storage, userId, roomId)).notificationCount > 0) rooms++;
  }
  return rooms;
}
