import type { Config, ThumbnailSizeConfig } from '../config/types.js';
import { DEFAULT_IP_RANGE_BLOCKLIST } from '../config/defaults.js';

// The media keys of Config with Synapse's defaults filled in, resolved once when the service is built.

/** Synapse's default thumbnail_sizes, which are also the sizes the spec says servers SHOULD produce. */
export const DEFAULT_THUMBNAIL_SIZES: readonly ThumbnailSizeConfig[] = [
  { width: 32, height: 32, method: 'crop' },
  { width: 96, height: 96, method: 'crop' },
  { width: 320, height: 240, method: 'scale' },
  { width: 640, height: 480, method: 'scale' },
  { width: 800, height: 600, method: 'scale' },
];

export interface MediaSettings {
  serverName: string;
  storePath: string;
  maxUploadSize: number;
  maxImagePixels: number;
  thumbnailSizes: readonly ThumbnailSizeConfig[];
  dynamicThumbnails: boolean;
  enableAuthenticatedMedia: boolean;
  unauthenticatedMediaFreezeTs: number | null;
  maxPendingMediaUploads: number;
  unusedMediaExpirationMs: number;
  urlPreviewEnabled: boolean;
  urlPreviewIpRangeBlacklist: readonly string[];
  urlPreviewIpRangeWhitelist: readonly string[];
  urlPreviewUrlBlacklist: ReadonlyArray<Readonly<Record<string, string>>>;
  maxSpiderSize: number;
}

export function mediaSettings(config: Config): MediaSettings {
  return {
    serverName: config.serverName,
    storePath: config.mediaStorePath,
    maxUploadSize: config.maxUploadSize,
    maxImagePixels: config.maxImagePixels ?? 32 * 1024 * 1024,
    thumbnailSizes: config.thumbnailSizes ?? DEFAULT_THUMBNAIL_SIZES,
    dynamicThumbnails: config.dynamicThumbnails ?? false,
    enableAuthenticatedMedia: config.enableAuthenticatedMedia ?? true,
    unauthenticatedMediaFreezeTs: config.unauthenticatedMediaFreezeTs ?? null,
    maxPendingMediaUploads: config.maxPendingMediaUploads ?? 5,
    unusedMediaExpirationMs: config.unusedMediaExpirationMs ?? 24 * 3600 * 1000,
    urlPreviewEnabled: config.urlPreviewEnabled ?? false,
    // Synapse refuses to enable previews without a blacklist; we fall back to the outbound blocklist instead.
    urlPreviewIpRangeBlacklist: config.urlPreviewIpRangeBlacklist ?? DEFAULT_IP_RANGE_BLOCKLIST,
    urlPreviewIpRangeWhitelist: config.urlPreviewIpRangeWhitelist ?? [],
    urlPreviewUrlBlacklist: config.urlPreviewUrlBlacklist ?? [],
    maxSpiderSize: config.maxSpiderSize ?? 10 * 1024 * 1024,
  };
}
