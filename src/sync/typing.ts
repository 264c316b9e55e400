import type { RoomId, UserId } from '../types/ids.js';
import type { NoticeSink } from '../types/notices.js';

// Typing notifications live in memory only (they are worth nothing after a few seconds), with their own
// stream position: every change bumps it and remembers, per room, the position of its last change. The
// position restarts at 0 with the process; sync treats a `since` above the current position as "before
// everything" (see sync-ephemeral.ts), which is right because nobody is typing after a restart.

/** Synapse caps a typing timeout; clients refresh it while the user keeps typing. */
export const MAX_TYPING_TIMEOUT_MS = 30_000;
const DEFAULT_TYPING_TIMEOUT_MS = 30_000;

interface RoomTyping {
  /** user -> expiry timer */
  users: Map<UserId, ReturnType<typeof setTimeout>>;
  lastChange: number;
}

export class TypingTracker {
  private position = 0;
  private readonly rooms = new Map<RoomId, RoomTyping>();

  constructor(private readonly notices: NoticeSink) {}

  currentPosition(): number {
    return this.position;
  }

  setTyping(roomId: RoomId, userId: UserId, typing: boolean, timeoutMs?: number): void {
    let room = this.rooms.get(roomId);
    const existing = room?.users.get(userId);
    if (existing !== undefined) clearTimeout(existing);
    if (typing) {
      if (!room) this.rooms.set(roomId, (room = { users: new Map(), lastChange: 0 }));
      const ms = Math.min(Math.max(timeoutMs ?? DEFAULT_TYPING_TIMEOUT_MS, 0), MAX_TYPING_TIMEOUT_MS);
      const timer = setTimeout(() => this.stop(roomId, userId), ms);
      // A typing timer must not keep the process alive on shutdown.
      timer.unref?.();
      const wasTyping = existing !== undefined;
      room.users.set(userId, timer);
      // Refreshing an ongoing typing notification changes nothing clients can see.
      if (!wasTyping) this.bump(roomId, room);
    } else if (existing !== undefined && room) {
      this.stop(roomId, userId);
    }
  }

  /** Users typing in a room now. */
  typingUsers(roomId: RoomId): UserId[] {
    return [...(this.rooms.get(roomId)?.users.keys() ?? [])];
  }

  /**
   * Of these rooms, those whose typing list changed after `since` and at or before `upTo` (everything up to
   * `upTo` when since is in the future). A sync's token carries `upTo`, the position it took before building:
   * a room that changed after it is left to the next sync (its notice wakes that one), since sending its newer
   * list now under the older position would make the next sync send it again.
   */
  changedRooms(roomIds: Iterable<RoomId>, since: number, upTo: number = this.position): RoomId[] {
    const effective = since > this.position ? -1 : since;
    const out: RoomId[] = [];
    for (const r of roomIds) {
      const room = this.rooms.get(r);
      if (room && room.lastChange > effective && room.lastChange <= upTo) out.push(r);
    }
    return out;
  }

  close(): void {
    for (const room of this.rooms.values()) for (const t of room.users.values()) clearTimeout(t);
    this.rooms.clear();
  }

  private stop(roomId: RoomId, userId: UserId): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    const t = room.users.get(userId);
    if (t === undefined) return;
    clearTimeout(t);
    room.users.delete(userId);
    this.bump(roomId, room);
  }

  private bump(roomId: RoomId, room: RoomTyping): void {
    this.position += 1;
    room.lastChange = this.position;
    // Rooms with nobody typing are forgotten once clients were told; lastChange stays for pending syncs
    // through the notice only, so keep the entry (a few bytes per room that ever saw typing).
    this.notices.publish({ stream: 'typing', position: this.position, roomIds: [roomId] });
  }
}
