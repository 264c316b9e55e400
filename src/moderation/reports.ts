import { notFound } from '../errors/index.js';
import type { ReportKind, Storage } from '../storage/interfaces/index.js';
import type { EventId, RoomId, UserId } from '../types/ids.js';
import { adminReportView, type AdminReportView } from './admin-view.js';
import { getAccountFlag, setAccountFlag, type AccountFlag } from './account-moderation.js';

// Content reports: clients file them (/rooms/{roomId}/report/{eventId}, /rooms/{roomId}/report, /users/{userId}/report),
// server admins read and delete them through the Synapse-compatible admin API. Reporting an event needs the
// reporter to be joined to the room (spec v1.8); reporting a room or a user only needs it to exist here.

export interface ModerationDeps {
  storage: Storage;
  now: () => number;
  serverName: string;
  /** Drops cached access tokens of a user, so a lock or suspension applies to the next request. */
  forgetCachedTokens(userId: UserId): void;
}

export interface ReportListQuery {
  kind: ReportKind;
  offset: number;
  limit: number;
  dir: 'f' | 'b';
  roomId?: RoomId;
  reporter?: UserId;
}

export interface ModerationService {
  reportEvent(reporter: UserId, roomId: RoomId, eventId: EventId, reason: string | null, score: number | null): Promise<number>;
  reportRoom(reporter: UserId, roomId: RoomId, reason: string): Promise<number>;
  reportUser(reporter: UserId, userId: UserId, reason: string): Promise<number>;
  listReports(q: ReportListQuery): Promise<{ reports: AdminReportView[]; total: number }>;
  /** One report with the reported event's JSON (Synapse's GET event_reports/{id}). */
  getReport(id: number): Promise<AdminReportView | undefined>;
  deleteReport(id: number): Promise<boolean>;
  /** Suspends or unsuspends a local account; false when there is no such account. */
  setSuspended(userId: UserId, suspended: boolean): Promise<boolean>;
  setLocked(userId: UserId, locked: boolean): Promise<boolean>;
  /** Whether a local account is suspended (suspended users may read but not send). */
  isSuspended(userId: UserId): Promise<boolean>;
  /** The spec's admin endpoints: `admin` must be a server admin; see account-moderation.ts for the rules. */
  getAccountFlag(admin: UserId, target: string, flag: AccountFlag): Promise<boolean>;
  setAccountFlag(admin: UserId, target: string, flag: AccountFlag, value: boolean): Promise<boolean>;
}

export function createModerationService(deps: ModerationDeps): ModerationService {
  const { storage } = deps;
  const rooms = storage.rooms;
  // The access-token cache holds both flags (a request's writes check suspension on it).
  const setFlag = async (userId: UserId, flag: AccountFlag, value: boolean): Promise<boolean> => {
    const changed = await storage.directory.setAccountFlag(userId, flag, value);
    deps.forgetCachedTokens(userId);
    return changed;
  };

  return {
    async reportEvent(reporter, roomId, eventId, reason, score) {
      const member = await rooms.getCurrentStateEvent(roomId, 'm.room.member', reporter);
      const ev = await rooms.getEvent(eventId);
      // One answer for "no such event" and "not a member", so the endpoint does not reveal other rooms' events.
      if (member?.pdu.content.membership !== 'join' || ev === undefined || ev.roomId !== roomId) {
        throw notFound('Unable to report event: it does not exist or you aren\'t able to see it.');
      }
      return storage.directory.addReport({
        kind: 'event',
        receivedTs: deps.now(),
        reporter,
        roomId,
        eventId,
        targetUserId: ev.pdu.sender,
        reason,
        score,
      });
    },
    async reportRoom(reporter, roomId, reason) {
      if (!(await rooms.getRoom(roomId))) throw notFound('Room does not exist');
      return storage.directory.addReport({
        kind: 'room',
        receivedTs: deps.now(),
        reporter,
        roomId,
        eventId: null,
        targetUserId: null,
        reason,
        score: null,
      });
    },
    async reportUser(reporter, userId, reason) {
      const local = userId.endsWith(`:${deps.serverName}`);
      // Remote users are known to us through rooms only; local ones through their account.
      const known = local ? (await storage.accounts.getUser(userId)) !== null : (await rooms.getRoomsForUser(userId)).length > 0;
      if (!known) throw notFound('User does not exist');
      return storage.directory.addReport({
        kind: 'user',
        receivedTs: deps.now(),
        reporter,
        roomId: null,
        eventId: null,
        targetUserId: userId,
        reason,
        score: null,
      });
    },
    async listReports(q) {
      const page = await storage.directory.listReports({
        kinds: [q.kind],
        offset: q.offset,
        limit: q.limit,
        dir: q.dir,
        ...(q.roomId !== undefined ? { roomId: q.roomId } : {}),
        ...(q.reporter !== undefined ? { reporter: q.reporter } : {}),
      });
      const reports = await Promise.all(page.reports.map((r) => adminReportView(storage, r, false)));
      return { reports, total: page.total };
    },
    async getReport(id) {
      const r = await storage.directory.getReport(id);
      return r ? adminReportView(storage, r, true) : undefined;
    },
    deleteReport: (id) => storage.directory.deleteReport(id),
    setSuspended: (userId, suspended) => setFlag(userId, 'suspended', suspended),
    setLocked: (userId, locked) => setFlag(userId, 'locked', locked),
    getAccountFlag: (admin, target, flag) => getAccountFlag(deps, admin, target, flag),
    setAccountFlag: (admin, target, flag, value) => setAccountFlag(deps, admin, target, flag, value),
    async isSuspended(userId) {
      return (await storage.directory.getAccountFlags(userId))?.suspended ?? false;
    },
  };
}
