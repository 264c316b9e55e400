import type { PushActionRow, PushStore } from '../../src/storage/interfaces/index.js';

/** A user's push action rows of one room past `after`, oldest first (what a test looks at; syncs only count them). */
export async function roomPushActions(push: PushStore, userId: string, roomId: string, after: number): Promise<PushActionRow[]> {
  const all = await push.getNotifications(userId, { before: null, limit: 1_000_000, onlyHighlight: false });
  return all.filter((r) => r.roomId === roomId && r.streamOrdering > after).reverse();
}
