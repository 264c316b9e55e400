// Media metadata: local uploads, remote media cache, thumbnails, URL previews (migrations/0005_media.ts).
// The bytes themselves live in the media storage backend (src/media); these rows describe them.

export interface LocalMedia {
  mediaId: string;
  /** Content-Type the uploader gave (null when none was given, or while pending). */
  mediaType: string | null;
  /** Byte length; null while pending. */
  mediaLength: number | null;
  uploadName: string | null;
  userId: string | null;
  createdTs: number;
  /** When the content arrived; null for a pending /create that has not been uploaded yet. */
  uploadedTs: number | null;
  /** For pending uploads: when the reservation lapses. */
  unusedExpiresTs: number | null;
  lastAccessTs: number | null;
  sha256: string | null;
  quarantinedBy: string | null;
  safeFromQuarantine: boolean;
  /** Served only on the authenticated endpoints (uploaded after the freeze). */
  authenticated: boolean;
  /** The URL this media was fetched from for a preview, else null. */
  urlCache: string | null;
}

export interface MediaThumbnail {
  width: number;
  height: number;
  method: 'crop' | 'scale';
  /** Content type of the thumbnail file. */
  type: string;
  animated: boolean;
  length: number;
}

export interface UploadedContent {
  mediaType: string | null;
  mediaLength: number;
  uploadName: string | null;
  sha256: string;
  uploadedTs: number;
}

export type ClaimPendingResult = 'ok' | 'not_found' | 'forbidden' | 'already_uploaded';

export interface StoredUrlPreview {
  fetchedTs: number;
  expiresTs: number;
  responseCode: number;
  /** The OpenGraph object as JSON text. */
  og: string;
}

export interface MediaStore {
  /** A complete upload (POST /upload). Media ids are random, so a clash is a bug and throws. */
  insertLocalMedia(media: LocalMedia): Promise<void>;
  /** Reserves a media id for a later PUT (POST /create). */
  insertPendingMedia(media: { mediaId: string; userId: string; createdTs: number; unusedExpiresTs: number; authenticated: boolean }): Promise<void>;
  /**
   * Fills a pending row with its content, atomically: only the creator, only once, only before expiry.
   * `not_found` covers unknown and expired ids.
   */
  completePendingMedia(mediaId: string, userId: string, content: UploadedContent, now: number): Promise<ClaimPendingResult>;
  /** Checks the same conditions as completePendingMedia without writing (before streaming the body). */
  checkPendingMedia(mediaId: string, userId: string, now: number): Promise<ClaimPendingResult>;
  getLocalMedia(mediaId: string): Promise<LocalMedia | null>;
  /** Pending (not uploaded, not expired) reservations of a user: how many, and when the first lapses. */
  pendingMediaStats(userId: string, now: number): Promise<{ count: number; earliestExpiresTs: number | null }>;
  /** Deletes pending reservations that expired before `now`; returns their ids. */
  deleteExpiredPendingMedia(now: number): Promise<string[]>;
  updateLastAccess(mediaIds: readonly string[], ts: number): Promise<void>;
  /** Sets or clears (by = null) the quarantine mark; false when the media is unknown or safe from quarantine. */
  setQuarantined(mediaId: string, by: string | null): Promise<boolean>;
  /** Local media of a user, newest first (admin listing). */
  listLocalMediaByUser(userId: string, limit: number, offset: number): Promise<LocalMedia[]>;
  /** Removes a local media row and its thumbnail rows (the caller deletes the files). */
  deleteLocalMedia(mediaId: string): Promise<boolean>;

  listThumbnails(mediaId: string): Promise<MediaThumbnail[]>;
  /** Records a thumbnail file; recording the same one twice is a no-op. */
  addThumbnail(mediaId: string, thumbnail: MediaThumbnail): Promise<void>;

  /** The newest stored preview of the URL with this hash, if it has not expired at `now`. */
  getUrlPreview(urlHash: string, now: number): Promise<StoredUrlPreview | null>;
  putUrlPreview(url: string, urlHash: string, preview: StoredUrlPreview): Promise<void>;
  deleteExpiredUrlPreviews(now: number): Promise<number>;
}
