import type { EventId, RoomId, UserId } from '../../types/ids.js';

// The directory and moderation store: content reports (migrations/0012_directory_moderation.ts) and the
// user directory's candidate search over current memberships and profiles (tables of 0002 and 0003).

export type ReportKind = 'event' | 'room' | 'user';

export interface NewContentReport {
  kind: ReportKind;
  receivedTs: number;
  reporter: UserId;
  roomId: RoomId | null;
  eventId: EventId | null;
  targetUserId: UserId | null;
  reason: string | null;
  score: number | null;
}

export interface ContentReport extends NewContentReport {
  id: number;
}

export interface ReportQuery {
  kinds: readonly ReportKind[];
  /** Number of reports to skip (Synapse's `from`). */
  offset: number;
  limit: number;
  /** 'b' newest first (Synapse's default), 'f' oldest first. */
  dir: 'f' | 'b';
  roomId?: RoomId;
  reporter?: UserId;
}

/** A user whose id or display name matched a directory search, with the rooms they are joined to. */
export interface DirectoryCandidate {
  userId: UserId;
  displayName: string | null;
  avatarUrl: string | null;
  /** Rooms the user is currently joined to (empty for users found only through search_all_users). */
  joinedRoomIds: RoomId[];
}

export interface DirectoryStore {
  addReport(report: NewContentReport): Promise<number>;
  listReports(query: ReportQuery): Promise<{ reports: ContentReport[]; total: number }>;
  getReport(id: number): Promise<ContentReport | undefined>;
  deleteReport(id: number): Promise<boolean>;
  /** Joined members of any room sharing a joined room with `userId`. */
  usersSharingRoomWith(userId: UserId): Promise<Set<UserId>>;
  /**
   * Users whose id or profile display name contains every one of `terms` (case-insensitive), up to `limit`.
   * Only users joined to some room are returned unless `includeAllLocal` (then local accounts too).
   */
  searchUsers(terms: readonly string[], limit: number, includeAllLocal: boolean): Promise<DirectoryCandidate[]>;
  /** Sets the suspended or locked flag of a local account; false when there is no such account. */
  setAccountFlag(userId: UserId, flag: 'suspended' | 'locked', value: boolean): Promise<boolean>;
  /** The account's suspended and locked flags; undefined for unknown users. */
  getAccountFlags(userId: UserId): Promise<{ suspended: boolean; locked: boolean } | undefined>;
  /** Stores an OpenID token (by digest); expired ones are swept on the way. */
  addOpenIdToken(tokenHash: string, userId: UserId, validUntilTs: number, now: number): Promise<void>;
  /** The user of an unexpired OpenID token, by digest. */
  getOpenIdTokenUser(tokenHash: string, now: number): Promise<UserId | undefined>;
}
