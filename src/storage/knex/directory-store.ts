import type { Knex } from 'knex';
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import type {
  ContentReport,
  DirectoryCandidate,
  DirectoryStore,
  NewContentReport,
  ReportKind,
  ReportQuery,
} from '../interfaces/index.js';
import type { Dialect } from './dialect.js';
import { toSafeNumber } from './dialect.js';

// The knex implementation of DirectoryStore: content_reports (migrations/0012) and user directory reads over
// current_memberships / room_memberships / profiles / users.

interface ReportRow {
  id: unknown;
  kind: string;
  received_ts: unknown;
  reporter: string;
  room_id: string | null;
  event_id: string | null;
  target_user_id: string | null;
  reason: string | null;
  score: unknown;
}

interface MemberMatchRow {
  user_id: string;
  room_id: string;
  profile_name: string | null;
  profile_avatar: string | null;
  member_name: string | null;
  member_avatar: string | null;
}

// Rows of (user, room) read per search; ample for a directory page while bounding a pathological term.
const MAX_MATCH_ROWS = 5000;

function toReport(r: ReportRow): ContentReport {
  return {
    id: toSafeNumber(r.id, 'content_reports.id'),
    kind: r.kind as ReportKind,
    receivedTs: toSafeNumber(r.received_ts, 'content_reports.received_ts'),
    reporter: r.reporter as UserId,
    roomId: r.room_id as RoomId | null,
    eventId: r.event_id as EventId | null,
    targetUserId: r.target_user_id as UserId | null,
    reason: r.reason,
    score: r.score === null || r.score === undefined ? null : toSafeNumber(r.score, 'content_reports.score'),
  };
}

/** `%term%` with LIKE's wildcards escaped (used with ESCAPE '\'). */
function likePattern(term: string): string {
  return `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class KnexDirectoryStore implements DirectoryStore {
  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
  ) {}

  addReport(report: NewContentReport): Promise<number> {
    return this.dialect.insertReturningId(
      this.knex,
      'content_reports',
      {
        kind: report.kind,
        received_ts: report.receivedTs,
        reporter: report.reporter,
        room_id: report.roomId,
        event_id: report.eventId,
        target_user_id: report.targetUserId,
        reason: report.reason,
        score: report.score,
      },
      'id',
    );
  }

  async listReports(q: ReportQuery): Promise<{ reports: ContentReport[]; total: number }> {
    const filtered = () => {
      let b = this.knex('content_reports').whereIn('kind', [...q.kinds]);
      if (q.roomId !== undefined) b = b.where('room_id', q.roomId);
      if (q.reporter !== undefined) b = b.where('reporter', q.reporter);
      return b;
    };
    const countRow = (await filtered().count<{ n: unknown }[]>({ n: '*' }).first()) as { n: unknown } | undefined;
    const rows = (await filtered()
      .select('*')
      .orderBy('id', q.dir === 'b' ? 'desc' : 'asc')
      .offset(q.offset)
      .limit(q.limit)) as ReportRow[];
    return { reports: rows.map(toReport), total: countRow ? toSafeNumber(countRow.n, 'count') : 0 };
  }

  async getReport(id: number): Promise<ContentReport | undefined> {
    const row = (await this.knex('content_reports').where('id', id).first()) as ReportRow | undefined;
    return row ? toReport(row) : undefined;
  }

  async deleteReport(id: number): Promise<boolean> {
    return (await this.knex('content_reports').where('id', id).delete()) > 0;
  }

  async setAccountFlag(userId: UserId, flag: 'suspended' | 'locked', value: boolean): Promise<boolean> {
    return (await this.knex('users').where('user_id', userId).update({ [flag]: value })) > 0;
  }

  async getAccountFlags(userId: UserId): Promise<{ suspended: boolean; locked: boolean } | undefined> {
    const row = (await this.knex('users').where('user_id', userId).first('suspended', 'locked')) as
      | { suspended: unknown; locked: unknown }
      | undefined;
    // SQLite hands booleans back as 0/1.
    return row ? { suspended: Boolean(row.suspended), locked: Boolean(row.locked) } : undefined;
  }

  async addOpenIdToken(tokenHash: string, userId: UserId, validUntilTs: number, now: number): Promise<void> {
    await this.knex('openid_tokens').where('valid_until_ts', '<=', now).delete();
    await this.knex('openid_tokens').insert({ token_hash: tokenHash, user_id: userId, valid_until_ts: validUntilTs });
  }

  async getOpenIdTokenUser(tokenHash: string, now: number): Promise<UserId | undefined> {
    const row = (await this.knex('openid_tokens').where('token_hash', tokenHash).andWhere('valid_until_ts', '>', now).first('user_id')) as
      | { user_id: string }
      | undefined;
    return row?.user_id as UserId | undefined;
  }

  async usersSharingRoomWith(userId: UserId): Promise<Set<UserId>> {
    const rows = (await this.knex('current_memberships as mine')
      .join('current_memberships as other', 'other.room_id', 'mine.room_id')
      .where('mine.user_id', userId)
      .andWhere('mine.membership', 'join')
      .andWhere('other.membership', 'join')
      .distinct('other.user_id')) as Array<{ user_id: string }>;
    return new Set(rows.map((r) => r.user_id as UserId));
  }

  async searchUsers(terms: readonly string[], limit: number, includeAllLocal: boolean): Promise<DirectoryCandidate[]> {
    let members = this.knex('current_memberships as cm')
      .join('room_memberships as rm', 'rm.event_id', 'cm.event_id')
      .leftJoin('profiles as p', 'p.user_id', 'cm.user_id')
      .where('cm.membership', 'join');
    for (const term of terms) {
      const pattern = likePattern(term);
      members = members.andWhere((w) =>
        w
          .whereRaw(`lower(cm.user_id) like ? escape '\\'`, [pattern])
          .orWhereRaw(`lower(coalesce(p.displayname, rm.display_name, '')) like ? escape '\\'`, [pattern]),
      );
    }
    const rows = (await members
      .select(
        'cm.user_id',
        'cm.room_id',
        'p.displayname as profile_name',
        'p.avatar_url as profile_avatar',
        'rm.display_name as member_name',
        'rm.avatar_url as member_avatar',
      )
      .orderBy('cm.user_id')
      .limit(MAX_MATCH_ROWS)) as MemberMatchRow[];

    const byUser = new Map<string, DirectoryCandidate>();
    for (const r of rows) {
      let c = byUser.get(r.user_id);
      if (!c) {
        // Local users have a profile row (authoritative); remote users only their member events.
        c = {
          userId: r.user_id as UserId,
          displayName: r.profile_name ?? r.member_name,
          avatarUrl: r.profile_avatar ?? r.member_avatar,
          joinedRoomIds: [],
        };
        byUser.set(r.user_id, c);
      }
      c.joinedRoomIds.push(r.room_id as RoomId);
    }

    if (includeAllLocal && byUser.size < limit) {
      let locals = this.knex('users as u')
        .leftJoin('profiles as p', 'p.user_id', 'u.user_id')
        .where('u.deactivated', false);
      for (const term of terms) {
        const pattern = likePattern(term);
        locals = locals.andWhere((w) =>
          w
            .whereRaw(`lower(u.user_id) like ? escape '\\'`, [pattern])
            .orWhereRaw(`lower(coalesce(p.displayname, '')) like ? escape '\\'`, [pattern]),
        );
      }
      const localRows = (await locals
        .select('u.user_id', 'p.displayname', 'p.avatar_url')
        .orderBy('u.user_id')
        .limit(limit + byUser.size)) as Array<{ user_id: string; displayname: string | null; avatar_url: string | null }>;
      for (const r of localRows) {
        if (byUser.has(r.user_id)) continue;
        byUser.set(r.user_id, { userId: r.user_id as UserId, displayName: r.displayname, avatarUrl: r.avatar_url, joinedRoomIds: [] });
      }
    }
    return [...byUser.values()];
  }
}
