import type { ThumbnailSpec } from './thumbnail-plan.js';

// Object keys in the media backend, in Synapse's layout (local_content/ab/cd/rest) so a media_store copied
// from Synapse lines up, and so no directory grows to millions of entries. Ids are validated before use.

function shard(mediaId: string): string {
  return `${mediaId.slice(0, 2)}/${mediaId.slice(2, 4)}/${mediaId.slice(4)}`;
}

export function contentKey(mediaId: string): string {
  return `local_content/${shard(mediaId)}`;
}

export function thumbnailDir(mediaId: string): string {
  return `local_thumbnails/${shard(mediaId)}`;
}

export function thumbnailKey(mediaId: string, spec: ThumbnailSpec): string {
  const sub = spec.type.slice('image/'.length);
  return `${thumbnailDir(mediaId)}/${spec.width}-${spec.height}-image-${sub}-${spec.method}${spec.animated ? '-animated' : ''}`;
}
