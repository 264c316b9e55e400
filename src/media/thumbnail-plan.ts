import type { ThumbnailSizeConfig } from '../config/types.js';
import { mayBeAnimated, type ImageFormat } from './sniff.js';

// Pure decisions about thumbnails: which size to make for a request, in which format, and the exact
// output dimensions. Kept free of sharp so the rules (never upscale, never smaller than asked when the
// source allows it, crop keeps the asked aspect) are table-tested on their own.

export type ThumbnailMethod = 'crop' | 'scale';

export interface ThumbnailRequest {
  width: number;
  height: number;
  method: ThumbnailMethod;
  /** The client asked for an animated thumbnail (animated=true). */
  animated: boolean;
}

export interface SourceImage {
  /** Dimensions after EXIF orientation, of one frame. */
  width: number;
  height: number;
  format: ImageFormat;
  /** Number of frames (1 for still images). */
  frames: number;
}

export type ThumbnailType = 'image/jpeg' | 'image/png' | 'image/webp';

/** A thumbnail to produce: a bounding box and method (the cache key) and the file type. */
export interface ThumbnailSpec {
  width: number;
  height: number;
  method: ThumbnailMethod;
  type: ThumbnailType;
  animated: boolean;
}

/**
 * The configured size that serves `req`: the smallest whose box covers the requested one, preferring the
 * requested method. When none covers it (or dynamic thumbnails are on) the request's own box is used, so
 * the answer is never smaller than asked unless the source itself is smaller.
 */
export function chooseBox(
  req: Pick<ThumbnailRequest, 'width' | 'height' | 'method'>,
  sizes: readonly ThumbnailSizeConfig[],
  dynamic: boolean,
): { width: number; height: number; method: ThumbnailMethod } {
  const own = { width: req.width, height: req.height, method: req.method };
  if (dynamic) return own;
  const sameMethod = sizes.filter((s) => s.method === req.method);
  const covering = sameMethod
    .filter((s) => s.width >= req.width && s.height >= req.height)
    .sort((a, b) => a.width * a.height - b.width * b.height);
  const best = covering[0];
  return best ? { width: best.width, height: best.height, method: best.method } : own;
}

/** Static JPEG sources stay JPEG (photos), animated output is WebP (the spec's preference), the rest PNG. */
export function thumbnailType(source: SourceImage, animated: boolean): ThumbnailType {
  if (animated) return 'image/webp';
  return source.format === 'jpeg' ? 'image/jpeg' : 'image/png';
}

/** Whether the thumbnail will be animated: asked for, and the source has frames to animate. */
export function wantsAnimation(source: SourceImage, req: Pick<ThumbnailRequest, 'animated'>): boolean {
  return req.animated && mayBeAnimated(source.format) && source.frames > 1;
}

export function planThumbnail(
  source: SourceImage,
  req: ThumbnailRequest,
  sizes: readonly ThumbnailSizeConfig[],
  dynamic: boolean,
): ThumbnailSpec {
  const box = chooseBox(req, sizes, dynamic);
  const animated = wantsAnimation(source, req);
  return { ...box, animated, type: thumbnailType(source, animated) };
}

/**
 * The spec: when the content is smaller than the requested dimensions, return the original rather than a
 * thumbnail. Only for still sources, or animated ones when animation was asked for (animated=false MUST
 * NOT get an animated image).
 */
export function serveOriginalInstead(source: SourceImage, req: ThumbnailRequest): boolean {
  if (source.width > req.width || source.height > req.height) return false;
  if (source.format === 'tiff' || source.format === 'avif') return false;
  return source.frames <= 1 || (req.animated && mayBeAnimated(source.format));
}

/**
 * Output dimensions for `box`. scale: fit inside the box (clamped to the source), keeping the aspect ratio.
 * crop: exactly the box's aspect ratio, filling it; when that would need upscaling, the largest crop of
 * that aspect the source holds.
 */
export function outputSize(
  source: Pick<SourceImage, 'width' | 'height'>,
  box: { width: number; height: number; method: ThumbnailMethod },
): { width: number; height: number } {
  const { width: sw, height: sh } = source;
  if (box.method === 'scale') {
    const w = Math.min(box.width, sw);
    const h = Math.min(box.height, sh);
    if (w * sh < h * sw) return { width: w, height: Math.max(1, Math.floor((w * sh) / sw)) };
    return { width: Math.max(1, Math.floor((h * sw) / sh)), height: h };
  }
  const factor = Math.max(box.width / sw, box.height / sh);
  if (factor <= 1) return { width: box.width, height: box.height };
  return {
    width: Math.max(1, Math.min(sw, Math.floor(box.width / factor))),
    height: Math.max(1, Math.min(sh, Math.floor(box.height / factor))),
  };
}
