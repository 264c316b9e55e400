import type { JsonObject } from '../types/json.js';
import type { EphemeralSource } from './queue.js';
import type { AppserviceEntry } from './registry.js';
import { isInterestedInRoom, isInterestedInUserPresence, type RoomFacts } from './interest.js';

// Ephemeral events (typing, receipts, presence) for services with receive_ephemeral. They are not durable
// (like Synapse, a restart drops what was not sent yet): collected in memory per service and attached to the
// next transaction.

/** The sync service's local ephemeral changes, structurally (see sync's LocalEphemeralChange). */
export type EphemeralChange =
  | { kind: 'typing'; roomId: string; userId: string; typing: boolean; timeoutMs: number }
  | { kind: 'receipt'; roomId: string; receiptType: string; userId: string; eventId: string; data: JsonObject }
  | { kind: 'presence'; userId: string; state: string; statusMsg: string | null; lastActiveTs: number; currentlyActive: boolean };

const MAX_PENDING = 1000;

export class EphemeralCollector implements EphemeralSource {
  private readonly pending = new Map<string, JsonObject[]>();
  /** Who is typing per room, mirrored from the changes (with their expiry), to send full m.typing lists. */
  private readonly typing = new Map<string, Map<string, number>>();

  constructor(
    private readonly entries: readonly AppserviceEntry[],
    private readonly facts: () => RoomFacts,
    private readonly now: () => number,
    private readonly onQueued: (entry: AppserviceEntry) => void,
  ) {}

  async accept(change: EphemeralChange): Promise<void> {
    const wanting = this.entries.filter((e) => e.reg.receiveEphemeral && e.reg.url !== null);
    if (wanting.length === 0) return;
    const edu = this.toEdu(change);
    const facts = this.facts();
    for (const entry of wanting) {
      const interested =
        change.kind === 'presence' ? isInterestedInUserPresence(entry, change.userId) : await isInterestedInRoom(entry, change.roomId, facts);
      if (!interested) continue;
      let list = this.pending.get(entry.id);
      if (!list) this.pending.set(entry.id, (list = []));
      // A typing update replaces an older one for the same room still waiting.
      if (edu.type === 'm.typing') {
        const i = list.findIndex((e) => e.type === 'm.typing' && e.room_id === edu.room_id);
        if (i >= 0) list.splice(i, 1);
      }
      list.push(edu);
      if (list.length > MAX_PENDING) list.splice(0, list.length - MAX_PENDING);
      this.onQueued(entry);
    }
  }

  hasPending(entry: AppserviceEntry): boolean {
    return (this.pending.get(entry.id)?.length ?? 0) > 0;
  }

  drain(entry: AppserviceEntry): JsonObject[] {
    const list = this.pending.get(entry.id) ?? [];
    this.pending.delete(entry.id);
    return list;
  }

  private toEdu(change: EphemeralChange): JsonObject {
    switch (change.kind) {
      case 'typing': {
        let room = this.typing.get(change.roomId);
        if (!room) this.typing.set(change.roomId, (room = new Map()));
        if (change.typing) room.set(change.userId, this.now() + change.timeoutMs);
        else room.delete(change.userId);
        const now = this.now();
        for (const [u, until] of room) if (until <= now) room.delete(u);
        if (room.size === 0) this.typing.delete(change.roomId);
        return { type: 'm.typing', room_id: change.roomId, content: { user_ids: [...room.keys()] } };
      }
      case 'receipt':
        return {
          type: 'm.receipt',
          room_id: change.roomId,
          content: { [change.eventId]: { [change.receiptType]: { [change.userId]: change.data } } },
        };
      case 'presence': {
        const content: JsonObject = {
          presence: change.state,
          last_active_ago: Math.max(0, this.now() - change.lastActiveTs),
          currently_active: change.currentlyActive,
        };
        if (change.statusMsg !== null) content.status_msg = change.statusMsg;
        return { type: 'm.presence', sender: change.userId, content };
      }
    }
  }
}
