import type { ReceiptRow } from '../storage/interfaces/index.js';
import type { RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';

// Ephemeral events of a joined room: m.typing (the full list of typing users whenever it changed) and
// m.receipt (the receipts that changed, or all of them for a full section). Private read receipts are only
// ever shown to their owner.

export const PRIVATE_RECEIPT_TYPES: ReadonlySet<string> = new Set(['m.read.private']);

export function typingEvent(userIds: readonly UserId[]): JsonObject {
  return { type: 'm.typing', content: { user_ids: [...userIds] } };
}

/** One m.receipt event for a room's receipts, or null when none are visible to `viewer`. */
export function receiptEvent(rows: readonly ReceiptRow[], viewer: UserId): JsonObject | null {
  const content: Record<string, Record<string, Record<UserId, JsonObject>>> = {};
  let any = false;
  for (const r of rows) {
    if (PRIVATE_RECEIPT_TYPES.has(r.receiptType) && r.userId !== viewer) continue;
    const byType = (content[r.eventId] ??= {});
    const byUser = (byType[r.receiptType] ??= {});
    byUser[r.userId] = r.data;
    any = true;
  }
  return any ? { type: 'm.receipt', content: content as unknown as JsonObject } : null;
}

export function groupByRoom<T extends { roomId: RoomId | '' }>(rows: readonly T[]): Map<RoomId, T[]> {
  const out = new Map<RoomId, T[]>();
  for (const r of rows) {
    const list = out.get(r.roomId);
    if (list) list.push(r);
    else out.set(r.roomId, [r]);
  }
  return out;
}
