import { forbidden } from '../errors/index.js';
import type { PresenceRow, PresenceState, Storage } from '../storage/interfaces/index.js';
import type { UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { NoticeSink } from '../types/notices.js';
import type { Logger } from '../http/logger.js';
import type { LocalEphemeralChange, RemotePresence } from './federated-ephemeral.js';

// Presence: explicit PUT /presence/{userId}/status, and implicit "online" while a client syncs
// (set_presence). A user whose syncs stop is set offline after SYNC_OFFLINE_MS, as Synapse does, so a
// closed client does not stay online forever. Rows are written to the presence stream; a notice names the
// user's joined rooms so the long-polls of everyone sharing a room wake.

/** Idle time after the last sync ended before a sync-online user is set offline. */
const SYNC_OFFLINE_MS = 30_000;

interface SyncActivity {
  active: number;
  timer: ReturnType<typeof setTimeout> | null;
}

export class PresenceTracker {
  private readonly activity = new Map<UserId, SyncActivity>();
  private closed = false;

  constructor(
    private readonly storage: Storage,
    private readonly notices: NoticeSink,
    private readonly now: () => number,
    private readonly logger: Logger,
    /** Told about every presence change of a local user (federation sends it as m.presence). */
    private readonly onLocal: (change: LocalEphemeralChange) => void = () => undefined,
  ) {}

  /** A presence update another server sent about one of its users (the caller checked whose user it is). */
  async applyRemote(update: RemotePresence): Promise<void> {
    const existing = (await this.storage.userData.getPresence([update.userId]))[0];
    const lastActiveTs = this.now() - Math.max(0, update.lastActiveAgo);
    // Servers repeat unchanged presence periodically; only a visible change is worth a stream position.
    if (existing && existing.state === update.state && existing.statusMsg === update.statusMsg && existing.currentlyActive === update.currentlyActive) return;
    await this.write(
      { userId: update.userId, state: update.state, statusMsg: update.statusMsg, lastActiveTs, currentlyActive: update.currentlyActive },
      false,
    );
  }

  async currentPosition(): Promise<number> {
    return (await this.storage.streamIdGenerator('presence', 'stream_id')).currentToken();
  }

  async getStatus(viewer: UserId, target: UserId): Promise<JsonObject> {
    if (viewer !== target && !(await this.sharesRoom(viewer, target))) {
      throw forbidden('You are not allowed to see their presence');
    }
    const row = (await this.storage.userData.getPresence([target]))[0];
    if (!row) return { presence: 'offline' };
    const out: JsonObject = { presence: row.state, last_active_ago: Math.max(0, this.now() - row.lastActiveTs) };
    if (row.state === 'online') out.currently_active = row.currentlyActive;
    if (row.statusMsg !== null) out.status_msg = row.statusMsg;
    return out;
  }

  /** PUT /presence/{userId}/status: only for oneself. A status_msg absent from the body clears it. */
  async setStatus(requester: UserId, target: UserId, state: PresenceState, statusMsg: string | null): Promise<void> {
    if (requester !== target) throw forbidden('You cannot set the presence state of another user');
    const now = this.now();
    const existing = (await this.storage.userData.getPresence([target]))[0];
    await this.write({
      userId: target,
      state,
      statusMsg,
      lastActiveTs: state === 'online' ? now : (existing?.lastActiveTs ?? now),
      currentlyActive: state === 'online',
    });
  }

  /** Called when a /sync starts; `setPresence` is the request's set_presence (default online). */
  async syncStarted(userId: UserId, setPresence: PresenceState): Promise<void> {
    const a = this.activity.get(userId) ?? { active: 0, timer: null };
    a.active += 1;
    if (a.timer) clearTimeout(a.timer);
    a.timer = null;
    this.activity.set(userId, a);
    // "offline" means: do not mark me online because of this sync.
    if (setPresence === 'offline') return;
    // Only a change of state is written: refreshing last_active on every sync would wake the long-polls of
    // everyone sharing a room with the user each time they sync.
    const existing = (await this.storage.userData.getPresence([userId]))[0];
    const now = this.now();
    if (existing?.state === setPresence) return;
    await this.write({
      userId,
      state: setPresence,
      statusMsg: existing?.statusMsg ?? null,
      lastActiveTs: now,
      currentlyActive: setPresence === 'online',
    });
  }

  syncEnded(userId: UserId): void {
    const a = this.activity.get(userId);
    if (!a) return;
    a.active -= 1;
    if (a.active > 0 || this.closed) return;
    a.timer = setTimeout(() => {
      this.activity.delete(userId);
      void this.goOffline(userId).catch((err: unknown) => this.logger.warn({ err, userId }, 'presence timeout failed'));
    }, SYNC_OFFLINE_MS);
    a.timer.unref?.();
  }

  close(): void {
    this.closed = true;
    for (const a of this.activity.values()) if (a.timer) clearTimeout(a.timer);
    this.activity.clear();
  }

  private async goOffline(userId: UserId): Promise<void> {
    if (this.closed || this.activity.has(userId)) return;
    const existing = (await this.storage.userData.getPresence([userId]))[0];
    if (!existing || existing.state === 'offline') return;
    await this.write({ ...existing, state: 'offline', currentlyActive: false });
  }

  private async write(row: Omit<PresenceRow, 'streamId'>, local = true): Promise<void> {
    const gen = await this.storage.streamIdGenerator('presence', 'stream_id');
    const alloc = gen.getNext();
    try {
      await this.storage.userData.putPresence({ ...row, streamId: alloc.id });
    } finally {
      alloc.done();
    }
    const rooms = await this.storage.rooms.getRoomsForUser(row.userId, ['join']);
    this.notices.publish({ stream: 'presence', position: alloc.id, roomIds: rooms.map((r) => r.roomId), userIds: [row.userId] });
    if (local) this.onLocal({ kind: 'presence', ...row });
  }

  private async sharesRoom(a: UserId, b: UserId): Promise<boolean> {
    const mine = new Set((await this.storage.rooms.getRoomsForUser(a, ['join'])).map((r) => r.roomId));
    if (mine.size === 0) return false;
    return (await this.storage.rooms.getRoomsForUser(b, ['join', 'invite'])).some((r) => mine.has(r.roomId));
  }
}
