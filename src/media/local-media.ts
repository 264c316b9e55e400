import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { limitExceeded, MatrixError, notFound, tooLarge } from '../errors/index.js';
import type { Logger } from '../http/logger.js';
import type { LocalMedia, MediaStore } from '../storage/interfaces/index.js';
import type { MediaBackend } from './backend.js';
import { isValidMediaId, mxcUri, newMediaId } from './ids.js';
import { contentKey, thumbnailDir } from './keys.js';
import type { MediaSettings } from './settings.js';
import type { AccessOptions, MediaContent, UploadInput } from './types.js';

// Local media: uploads (direct and the create-then-PUT flow), lookup for serving, and admin operations.

/** Synapse caps timeout_ms at a minute; a download waiting on a pending upload never holds longer. */
const MAX_WAIT_MS = 60_000;
const POLL_MS = 500;
const ACCESS_FLUSH_MS = 10_000;

export const notYetUploaded = () => new MatrixError('M_NOT_YET_UPLOADED', 504, 'Content has not yet been uploaded');
export const cannotOverwrite = () => new MatrixError('M_CANNOT_OVERWRITE_MEDIA', 409, 'Media already uploaded');

export interface LocalMediaDeps {
  settings: MediaSettings;
  store: MediaStore;
  backend: MediaBackend;
  logger: Logger;
  now: () => number;
  /** Called after a new upload is recorded (thumbnail pre-generation). */
  onUploaded(media: LocalMedia, head: Buffer): void;
}

export class LocalMediaRepo {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly uploading = new Set<string>();
  private readonly accessed = new Set<string>();
  private lastAccessFlush = 0;
  private lastExpirySweep = 0;

  constructor(private readonly d: LocalMediaDeps) {}

  isLocal(serverName: string): boolean {
    return serverName === this.d.settings.serverName;
  }

  /** Whether media created now is withheld from the unauthenticated endpoints (Synapse's `authenticated` flag). */
  private frozenNow(now: number): boolean {
    const s = this.d.settings;
    return s.enableAuthenticatedMedia && (s.unauthenticatedMediaFreezeTs === null || now >= s.unauthenticatedMediaFreezeTs);
  }

  private checkDeclaredLength(input: UploadInput): void {
    const max = this.d.settings.maxUploadSize;
    if (input.declaredLength !== undefined && input.declaredLength > max) {
      input.source.resume();
      throw tooLarge(`Upload is ${input.declaredLength} bytes; the limit is ${max}`);
    }
  }

  async upload(userId: string, input: UploadInput): Promise<{ content_uri: string }> {
    this.checkDeclaredLength(input);
    const mediaId = newMediaId();
    const written = await this.d.backend.write(contentKey(mediaId), input.source, this.d.settings.maxUploadSize);
    const now = this.d.now();
    const media: LocalMedia = {
      mediaId,
      mediaType: input.contentType,
      mediaLength: written.size,
      uploadName: input.filename,
      userId,
      createdTs: now,
      uploadedTs: now,
      unusedExpiresTs: null,
      lastAccessTs: null,
      sha256: written.sha256,
      quarantinedBy: null,
      safeFromQuarantine: false,
      authenticated: this.frozenNow(now),
      urlCache: null,
    };
    try {
      await this.d.store.insertLocalMedia(media);
    } catch (err) {
      await this.d.backend.remove(contentKey(mediaId));
      throw err;
    }
    this.d.onUploaded(media, written.head);
    return { content_uri: mxcUri(this.d.settings.serverName, mediaId) };
  }

  /** Stores bytes we produced ourselves (URL previews): same table, marked with the URL they came from. */
  async storeBytes(userId: string | null, bytes: Buffer, contentType: string | null, uploadName: string | null, url: string): Promise<LocalMedia> {
    const mediaId = newMediaId();
    await this.d.backend.writeBuffer(contentKey(mediaId), bytes);
    const now = this.d.now();
    const media: LocalMedia = {
      mediaId,
      mediaType: contentType,
      mediaLength: bytes.length,
      uploadName,
      userId,
      createdTs: now,
      uploadedTs: now,
      unusedExpiresTs: null,
      lastAccessTs: null,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      quarantinedBy: null,
      safeFromQuarantine: false,
      authenticated: this.frozenNow(now),
      urlCache: url,
    };
    await this.d.store.insertLocalMedia(media);
    return media;
  }

  async createPending(userId: string): Promise<{ content_uri: string; unused_expires_at: number }> {
    const now = this.d.now();
    await this.maybeSweepExpired(now);
    const stats = await this.d.store.pendingMediaStats(userId, now);
    if (stats.count >= this.d.settings.maxPendingMediaUploads) {
      const wait = stats.earliestExpiresTs === null ? 60_000 : Math.max(1, stats.earliestExpiresTs - now);
      throw limitExceeded(wait, 'Too many pending media uploads');
    }
    const mediaId = newMediaId();
    const expires = now + this.d.settings.unusedMediaExpirationMs;
    await this.d.store.insertPendingMedia({
      mediaId,
      userId,
      createdTs: now,
      unusedExpiresTs: expires,
      authenticated: this.frozenNow(now),
    });
    return { content_uri: mxcUri(this.d.settings.serverName, mediaId), unused_expires_at: expires };
  }

  async uploadToPending(userId: string, serverName: string, mediaId: string, input: UploadInput): Promise<void> {
    if (!this.isLocal(serverName) || !isValidMediaId(mediaId)) throw notFound('Unknown media ID');
    const refuse = (state: string): never => {
      input.source.resume();
      if (state === 'forbidden') throw new MatrixError('M_FORBIDDEN', 403, 'You may not upload to this media ID');
      if (state === 'already_uploaded') throw cannotOverwrite();
      throw notFound('Unknown media ID');
    };
    const state = await this.d.store.checkPendingMedia(mediaId, userId, this.d.now());
    if (state !== 'ok') refuse(state);
    // One PUT per id at a time: two racing bodies must not both land in the same file.
    if (this.uploading.has(mediaId)) refuse('already_uploaded');
    this.checkDeclaredLength(input);
    this.uploading.add(mediaId);
    try {
      const written = await this.d.backend.write(contentKey(mediaId), input.source, this.d.settings.maxUploadSize);
      const now = this.d.now();
      const result = await this.d.store.completePendingMedia(
        mediaId,
        userId,
        { mediaType: input.contentType, mediaLength: written.size, uploadName: input.filename, sha256: written.sha256, uploadedTs: now },
        now,
      );
      if (result !== 'ok') {
        if (result !== 'already_uploaded') await this.d.backend.remove(contentKey(mediaId));
        refuse(result);
      }
      this.wake(mediaId);
      const media = await this.d.store.getLocalMedia(mediaId);
      if (media) this.d.onUploaded(media, written.head);
    } finally {
      this.uploading.delete(mediaId);
    }
  }

  /**
   * The media row to serve, waiting up to timeout_ms for a pending upload. Unknown, expired, quarantined
   * and (on unauthenticated requests) frozen media are all 404, as Synapse answers.
   */
  async findServable(serverName: string, mediaId: string, access: AccessOptions): Promise<LocalMedia> {
    // Remote media arrives with federation; until then other servers' media is simply not found here.
    if (!this.isLocal(serverName) || !isValidMediaId(mediaId)) throw notFound('Media not found');
    const deadline = Date.now() + Math.min(Math.max(0, access.timeoutMs), MAX_WAIT_MS);
    for (;;) {
      const media = await this.d.store.getLocalMedia(mediaId);
      if (!media) throw notFound('Media not found');
      if (media.uploadedTs === null) {
        if (media.unusedExpiresTs !== null && media.unusedExpiresTs <= this.d.now()) throw notFound('Media not found');
        const left = deadline - Date.now();
        if (left <= 0) throw notYetUploaded();
        await this.waitForUpload(mediaId, Math.min(left, POLL_MS));
        continue;
      }
      if (media.quarantinedBy !== null) throw notFound('Media not found');
      if (!access.authenticated && media.authenticated) throw notFound('Media not found');
      this.noteAccess(mediaId);
      return media;
    }
  }

  content(media: LocalMedia): MediaContent {
    const key = contentKey(media.mediaId);
    return {
      contentType: media.mediaType ?? 'application/octet-stream',
      length: media.mediaLength ?? 0,
      uploadName: media.uploadName,
      open: async (range) => {
        const stream = await this.d.backend.read(key, range);
        if (!stream) throw notFound('Media not found');
        return stream;
      },
    };
  }

  async quarantine(mediaId: string, by: string | null): Promise<boolean> {
    return this.d.store.setQuarantined(mediaId, by);
  }

  /** Deletes the media, its thumbnails and their files. */
  async delete(mediaId: string): Promise<boolean> {
    if (!isValidMediaId(mediaId)) return false;
    const existed = await this.d.store.deleteLocalMedia(mediaId);
    if (existed) {
      await this.d.backend.remove(contentKey(mediaId));
      await this.d.backend.remove(thumbnailDir(mediaId));
    }
    return existed;
  }

  private async waitForUpload(mediaId: string, ms: number): Promise<void> {
    // Woken at once by an upload in this process; the timeout doubles as a poll for uploads elsewhere.
    const ac = new AbortController();
    let set = this.waiters.get(mediaId);
    if (!set) this.waiters.set(mediaId, (set = new Set()));
    const wake = () => ac.abort();
    set.add(wake);
    try {
      await sleep(ms, undefined, { signal: ac.signal }).catch(() => undefined);
    } finally {
      set.delete(wake);
      if (set.size === 0) this.waiters.delete(mediaId);
    }
  }

  private wake(mediaId: string): void {
    for (const w of this.waiters.get(mediaId) ?? []) w();
  }

  /** last_access_ts is for retention policies, so it is written in batches rather than on every request. */
  private noteAccess(mediaId: string): void {
    this.accessed.add(mediaId);
    const now = this.d.now();
    if (now - this.lastAccessFlush < ACCESS_FLUSH_MS) return;
    this.lastAccessFlush = now;
    const ids = [...this.accessed];
    this.accessed.clear();
    this.d.store.updateLastAccess(ids, now).catch((err: unknown) => this.d.logger.warn({ err }, 'could not record media access'));
  }

  private async maybeSweepExpired(now: number): Promise<void> {
    if (now - this.lastExpirySweep < 60_000) return;
    this.lastExpirySweep = now;
    const expired = await this.d.store.deleteExpiredPendingMedia(now);
    if (expired.length > 0) this.d.logger.debug({ count: expired.length }, 'removed expired pending media ids');
  }
}
