import type { Config } from '../config/types.js';
import { Readable } from 'node:stream';
import { notFound, unrecognized } from '../errors/index.js';
import type { Logger } from '../http/logger.js';
import type { LocalMedia, Storage } from '../storage/interfaces/index.js';
import { createFilesystemBackend, type MediaBackend } from './backend.js';
import { LocalMediaRepo } from './local-media.js';
import { mediaSettings, type MediaSettings } from './settings.js';
import type { ThumbnailRequest } from './thumbnail-plan.js';
import { Thumbnails } from './thumbnails.js';
import type { AccessOptions, MediaContent, UploadInput } from './types.js';
import { createUrlPreviewer } from './url-preview/preview.js';
import type { OpenGraph } from './url-preview/opengraph.js';

// The media repository: uploads, downloads, thumbnails and URL previews of this server's media. Route
// layers (src/client/media) parse HTTP and call this; it never sees koa. Media of other servers will be
// fetched over federation once that lands; until then it is 404 M_NOT_FOUND.

export type { ByteRange, MediaBackend, WrittenObject } from './backend.js';
export { createFilesystemBackend } from './backend.js';
export type { AccessOptions, MediaContent, UploadInput } from './types.js';
export type { ThumbnailMethod, ThumbnailRequest } from './thumbnail-plan.js';
export type { OpenGraph } from './url-preview/opengraph.js';
export type { MediaSettings } from './settings.js';
export { isValidMediaId } from './ids.js';

/**
 * Other servers' media over federation (GET /_matrix/federation/v1/media/download|thumbnail). Throws
 * MatrixError: 404 when the remote server does not have it, 502 when it cannot be reached.
 */
export interface RemoteMediaPort {
  fetch(serverName: string, mediaId: string, thumbnail: ThumbnailRequest | null, timeoutMs: number): Promise<RemoteMediaBytes>;
}

export interface RemoteMediaBytes {
  contentType: string;
  uploadName: string | null;
  bytes: Buffer;
}

export interface MediaServiceDeps {
  config: Config;
  logger: Logger;
  storage: Storage;
  now: () => number;
  /** Defaults to the filesystem under config.mediaStorePath. */
  backend?: MediaBackend;
  /** Without it other servers' media is 404. */
  remote?: RemoteMediaPort;
}

export interface MediaService {
  readonly settings: MediaSettings;
  /** GET /media/config. */
  config(): { 'm.upload.size': number };
  /** POST /_matrix/media/v3/upload. */
  upload(userId: string, input: UploadInput): Promise<{ content_uri: string }>;
  /** POST /_matrix/media/v1/create. */
  createPending(userId: string): Promise<{ content_uri: string; unused_expires_at: number }>;
  /** PUT /_matrix/media/v3/upload/{serverName}/{mediaId}. */
  uploadToPending(userId: string, serverName: string, mediaId: string, input: UploadInput): Promise<void>;
  download(serverName: string, mediaId: string, access: AccessOptions): Promise<MediaContent>;
  thumbnail(serverName: string, mediaId: string, req: ThumbnailRequest, access: AccessOptions): Promise<MediaContent>;
  /** GET /preview_url; 404 M_UNRECOGNIZED when previews are disabled (Synapse does not mount the endpoint then). */
  previewUrl(userId: string, url: string): Promise<OpenGraph>;
  // Admin operations (Synapse admin API shapes are built on these).
  getLocalMedia(mediaId: string): Promise<LocalMedia | null>;
  quarantine(mediaId: string, by: string | null): Promise<boolean>;
  deleteLocalMedia(mediaId: string): Promise<boolean>;
}

export function createMediaService(deps: MediaServiceDeps): MediaService {
  const settings = mediaSettings(deps.config);
  const backend = deps.backend ?? createFilesystemBackend(settings.storePath);
  const store = deps.storage.media;
  const thumbnails = new Thumbnails({ settings, store, backend, logger: deps.logger });
  const local = new LocalMediaRepo({
    settings,
    store,
    backend,
    logger: deps.logger,
    now: deps.now,
    onUploaded: (media, head) => thumbnails.pregenerate(media, head),
  });
  const previewer = settings.urlPreviewEnabled
    ? createUrlPreviewer({
        settings,
        store,
        logger: deps.logger,
        now: deps.now,
        storeImage: (userId, bytes, type, name, url) => local.storeBytes(userId, bytes, type, name, url),
      })
    : null;

  // Remote media only on authenticated requests: since v1.11 the unauthenticated endpoints are frozen to
  // what a server already had, as Synapse does with authenticated media enabled.
  const remoteMedia = (serverName: string, access: AccessOptions): RemoteMediaPort | null => {
    if (serverName === deps.config.serverName || deps.remote === undefined) return null;
    if (!access.authenticated) throw notFound('Media not found');
    return deps.remote;
  };

  return {
    settings,
    config: () => ({ 'm.upload.size': settings.maxUploadSize }),
    upload: (userId, input) => local.upload(userId, input),
    createPending: (userId) => local.createPending(userId),
    uploadToPending: (userId, serverName, mediaId, input) => local.uploadToPending(userId, serverName, mediaId, input),
    async download(serverName, mediaId, access) {
      const remote = remoteMedia(serverName, access);
      if (remote) return remoteContent(await remote.fetch(serverName, mediaId, null, access.timeoutMs));
      return local.content(await local.findServable(serverName, mediaId, access));
    },
    async thumbnail(serverName, mediaId, req, access) {
      const remote = remoteMedia(serverName, access);
      if (remote) return remoteContent(await remote.fetch(serverName, mediaId, req, access.timeoutMs));
      const media = await local.findServable(serverName, mediaId, access);
      return thumbnails.get(media, req, local.content(media));
    },
    async previewUrl(userId, url) {
      if (!previewer) throw unrecognized('URL previews are disabled on this server');
      return previewer.preview(userId, url);
    },
    getLocalMedia: (mediaId) => store.getLocalMedia(mediaId),
    quarantine: (mediaId, by) => local.quarantine(mediaId, by),
    deleteLocalMedia: (mediaId) => local.delete(mediaId),
  };
}

/** Bytes fetched from another server, served like local content (ranges included). */
function remoteContent(media: RemoteMediaBytes): MediaContent {
  return {
    contentType: media.contentType,
    length: media.bytes.length,
    uploadName: media.uploadName,
    open: async (range) => Readable.from([range ? media.bytes.subarray(range.start, range.end + 1) : media.bytes]),
  };
}
