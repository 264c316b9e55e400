import type { Knex } from 'knex';
import type {
  ClaimPendingResult,
  LocalMedia,
  MediaStore,
  MediaThumbnail,
  StoredUrlPreview,
  UploadedContent,
} from '../interfaces/index.js';
import type { Dialect } from './dialect.js';
import { toSafeNumber } from './dialect.js';

// The knex implementation of MediaStore (tables of migrations/0005_media.ts).

interface LocalMediaDbRow {
  media_id: string;
  media_type: string | null;
  media_length: unknown;
  upload_name: string | null;
  user_id: string | null;
  created_ts: unknown;
  uploaded_ts: unknown;
  unused_expires_ts: unknown;
  last_access_ts: unknown;
  sha256: string | null;
  quarantined_by: string | null;
  safe_from_quarantine: unknown;
  authenticated: unknown;
  url_cache: string | null;
}

interface ThumbnailDbRow {
  width: unknown;
  height: unknown;
  method: string;
  type: string;
  animated: unknown;
  length: unknown;
}

const optNumber = (v: unknown, what: string): number | null => (v === null || v === undefined ? null : toSafeNumber(v, what));
// SQLite hands booleans back as 0/1.
const bool = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 't';

function toLocalMedia(r: LocalMediaDbRow): LocalMedia {
  return {
    mediaId: r.media_id,
    mediaType: r.media_type,
    mediaLength: optNumber(r.media_length, 'local_media.media_length'),
    uploadName: r.upload_name,
    userId: r.user_id,
    createdTs: toSafeNumber(r.created_ts, 'local_media.created_ts'),
    uploadedTs: optNumber(r.uploaded_ts, 'local_media.uploaded_ts'),
    unusedExpiresTs: optNumber(r.unused_expires_ts, 'local_media.unused_expires_ts'),
    lastAccessTs: optNumber(r.last_access_ts, 'local_media.last_access_ts'),
    sha256: r.sha256,
    quarantinedBy: r.quarantined_by,
    safeFromQuarantine: bool(r.safe_from_quarantine),
    authenticated: bool(r.authenticated),
    urlCache: r.url_cache,
  };
}

function fromLocalMedia(m: LocalMedia): LocalMediaDbRow {
  return {
    media_id: m.mediaId,
    media_type: m.mediaType,
    media_length: m.mediaLength,
    upload_name: m.uploadName,
    user_id: m.userId,
    created_ts: m.createdTs,
    uploaded_ts: m.uploadedTs,
    unused_expires_ts: m.unusedExpiresTs,
    last_access_ts: m.lastAccessTs,
    sha256: m.sha256,
    quarantined_by: m.quarantinedBy,
    safe_from_quarantine: m.safeFromQuarantine,
    authenticated: m.authenticated,
    url_cache: m.urlCache,
  };
}

function toThumbnail(r: ThumbnailDbRow): MediaThumbnail {
  return {
    width: toSafeNumber(r.width, 'thumbnail width'),
    height: toSafeNumber(r.height, 'thumbnail height'),
    method: r.method === 'crop' ? 'crop' : 'scale',
    type: r.type,
    animated: bool(r.animated),
    length: toSafeNumber(r.length, 'thumbnail length'),
  };
}

function pendingState(row: LocalMediaDbRow | undefined, userId: string, now: number): ClaimPendingResult {
  if (!row) return 'not_found';
  if (row.uploaded_ts !== null && row.uploaded_ts !== undefined) {
    return row.user_id === userId ? 'already_uploaded' : 'forbidden';
  }
  const expires = optNumber(row.unused_expires_ts, 'local_media.unused_expires_ts');
  if (expires !== null && expires <= now) return 'not_found';
  return row.user_id === userId ? 'ok' : 'forbidden';
}

export class KnexMediaStore implements MediaStore {
  constructor(
    readonly knex: Knex,
    readonly dialect: Dialect,
  ) {}

  async insertLocalMedia(media: LocalMedia): Promise<void> {
    await this.knex('local_media').insert(fromLocalMedia(media));
  }

  async insertPendingMedia(m: {
    mediaId: string;
    userId: string;
    createdTs: number;
    unusedExpiresTs: number;
    authenticated: boolean;
  }): Promise<void> {
    await this.knex('local_media').insert({
      media_id: m.mediaId,
      user_id: m.userId,
      created_ts: m.createdTs,
      unused_expires_ts: m.unusedExpiresTs,
      authenticated: m.authenticated,
    });
  }

  async checkPendingMedia(mediaId: string, userId: string, now: number): Promise<ClaimPendingResult> {
    const row: LocalMediaDbRow | undefined = await this.knex('local_media').where({ media_id: mediaId }).first();
    return pendingState(row, userId, now);
  }

  async completePendingMedia(
    mediaId: string,
    userId: string,
    content: UploadedContent,
    now: number,
  ): Promise<ClaimPendingResult> {
    // The conditional UPDATE is the claim: of two concurrent PUTs exactly one changes the row.
    const updated = await this.knex('local_media')
      .where({ media_id: mediaId, user_id: userId })
      .whereNull('uploaded_ts')
      .where((q) => q.whereNull('unused_expires_ts').orWhere('unused_expires_ts', '>', now))
      .update({
        media_type: content.mediaType,
        media_length: content.mediaLength,
        upload_name: content.uploadName,
        sha256: content.sha256,
        uploaded_ts: content.uploadedTs,
        unused_expires_ts: null,
      });
    if (updated > 0) return 'ok';
    const state = await this.checkPendingMedia(mediaId, userId, now);
    return state === 'ok' ? 'not_found' : state;
  }

  async getLocalMedia(mediaId: string): Promise<LocalMedia | null> {
    const row: LocalMediaDbRow | undefined = await this.knex('local_media').where({ media_id: mediaId }).first();
    return row ? toLocalMedia(row) : null;
  }

  async pendingMediaStats(userId: string, now: number): Promise<{ count: number; earliestExpiresTs: number | null }> {
    const row = (await this.knex('local_media')
      .where({ user_id: userId })
      .whereNull('uploaded_ts')
      .where('unused_expires_ts', '>', now)
      .count({ n: '*' })
      .min({ first: 'unused_expires_ts' })
      .first()) as { n: unknown; first: unknown } | undefined;
    return {
      count: row ? toSafeNumber(row.n, 'pending media count') : 0,
      earliestExpiresTs: row ? optNumber(row.first, 'pending media expiry') : null,
    };
  }

  async deleteExpiredPendingMedia(now: number): Promise<string[]> {
    const rows: Array<{ media_id: string }> = await this.knex('local_media')
      .select('media_id')
      .whereNull('uploaded_ts')
      .where('unused_expires_ts', '<=', now);
    const ids = rows.map((r) => r.media_id);
    const size = this.dialect.batchSize(1);
    for (let i = 0; i < ids.length; i += size) {
      await this.knex('local_media')
        .whereIn('media_id', ids.slice(i, i + size))
        .whereNull('uploaded_ts')
        .delete();
    }
    return ids;
  }

  async updateLastAccess(mediaIds: readonly string[], ts: number): Promise<void> {
    const size = this.dialect.batchSize(1);
    for (let i = 0; i < mediaIds.length; i += size) {
      await this.knex('local_media')
        .whereIn('media_id', mediaIds.slice(i, i + size))
        .update({ last_access_ts: ts });
    }
  }

  async setQuarantined(mediaId: string, by: string | null): Promise<boolean> {
    const q = this.knex('local_media').where({ media_id: mediaId });
    // Clearing is always allowed; setting respects the admin's "safe from quarantine" protection.
    if (by !== null) q.where({ safe_from_quarantine: false });
    return (await q.update({ quarantined_by: by })) > 0;
  }

  async listLocalMediaByUser(userId: string, limit: number, offset: number): Promise<LocalMedia[]> {
    const rows: LocalMediaDbRow[] = await this.knex('local_media')
      .where({ user_id: userId })
      .whereNotNull('uploaded_ts')
      .orderBy([{ column: 'created_ts', order: 'desc' }, { column: 'media_id', order: 'asc' }])
      .limit(limit)
      .offset(offset);
    return rows.map(toLocalMedia);
  }

  async deleteLocalMedia(mediaId: string): Promise<boolean> {
    return this.knex.transaction(async (trx) => {
      await trx('local_media_thumbnails').where({ media_id: mediaId }).delete();
      return (await trx('local_media').where({ media_id: mediaId }).delete()) > 0;
    });
  }

  async listThumbnails(mediaId: string): Promise<MediaThumbnail[]> {
    const rows: ThumbnailDbRow[] = await this.knex('local_media_thumbnails')
      .select('width', 'height', 'method', 'type', 'animated', 'length')
      .where({ media_id: mediaId });
    return rows.map(toThumbnail);
  }

  async addThumbnail(mediaId: string, t: MediaThumbnail): Promise<void> {
    await this.dialect.upsert(
      this.knex,
      'local_media_thumbnails',
      {
        media_id: mediaId,
        width: t.width,
        height: t.height,
        method: t.method,
        type: t.type,
        animated: t.animated,
        length: t.length,
      },
      ['media_id', 'width', 'height', 'method', 'type', 'animated'],
      ['length'],
    );
  }

  async getUrlPreview(urlHash: string, now: number): Promise<StoredUrlPreview | null> {
    const row = (await this.knex('url_previews')
      .select('fetched_ts', 'expires_ts', 'response_code', 'og')
      .where({ url_hash: urlHash })
      .where('expires_ts', '>', now)
      .orderBy('fetched_ts', 'desc')
      .first()) as { fetched_ts: unknown; expires_ts: unknown; response_code: unknown; og: string } | undefined;
    if (!row) return null;
    return {
      fetchedTs: toSafeNumber(row.fetched_ts, 'url_previews.fetched_ts'),
      expiresTs: toSafeNumber(row.expires_ts, 'url_previews.expires_ts'),
      responseCode: toSafeNumber(row.response_code, 'url_previews.response_code'),
      og: row.og,
    };
  }

  async putUrlPreview(url: string, urlHash: string, p: StoredUrlPreview): Promise<void> {
    await this.knex('url_previews').insert({
      url,
      url_hash: urlHash,
      fetched_ts: p.fetchedTs,
      expires_ts: p.expiresTs,
      response_code: p.responseCode,
      og: p.og,
    });
  }

  async deleteExpiredUrlPreviews(now: number): Promise<number> {
    return this.knex('url_previews').where('expires_ts', '<=', now).delete();
  }
}
