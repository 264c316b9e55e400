import type { PresenceState } from '../storage/interfaces/index.js';
import type { EventId, RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';

// The federation seam of typing, receipts and presence: local changes are reported to listeners (the EDU
// sender turns them into m.typing / m.receipt / m.presence), and updates other servers sent are applied
// through the SyncService's applyRemote* methods. Sync itself knows nothing about servers.

export type LocalEphemeralChange =
  | { kind: 'typing'; roomId: RoomId; userId: UserId; typing: boolean; timeoutMs: number }
  | { kind: 'receipt'; roomId: RoomId; receiptType: string; userId: UserId; eventId: EventId; data: JsonObject }
  | {
      kind: 'presence';
      userId: UserId;
      state: PresenceState;
      statusMsg: string | null;
      lastActiveTs: number;
      currentlyActive: boolean;
    };

export type LocalEphemeralListener = (change: LocalEphemeralChange) => void;

/** A presence update another server sent for one of its users (m.presence `push` entry). */
export interface RemotePresence {
  userId: UserId;
  state: PresenceState;
  statusMsg: string | null;
  lastActiveAgo: number;
  currentlyActive: boolean;
}

/** Fan-out to listeners; a failing listener is logged by the caller's logger and never breaks the local write. */
export class LocalEphemeralListeners {
  private readonly listeners = new Set<LocalEphemeralListener>();

  add(listener: LocalEphemeralListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: LocalEphemeralChange, onError: (err: unknown) => void): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        onError(err);
      }
    }
  }
}
