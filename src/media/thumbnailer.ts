import type sharpModule from 'sharp';
import { MatrixError, tooLarge } from '../errors/index.js';
import type { ImageFormat } from './sniff.js';
import { outputSize, type SourceImage, type ThumbnailSpec } from './thumbnail-plan.js';

// The only place that drives sharp (libvips). Input is a file path or the bytes of the original.
// sharp is loaded on the first thumbnail, not at start: libvips costs start-up time and resident memory
// (cold start and idle RSS in bench/) that a server which never thumbnails should not pay.

let loading: Promise<typeof sharpModule> | null = null;
function loadSharp(): Promise<typeof sharpModule> {
  loading ??= import('sharp').then((m) => m.default);
  return loading;
}

export type ImageInput = string | Buffer;

function cannotThumbnail(): MatrixError {
  return new MatrixError('M_UNKNOWN', 400, 'Cannot generate thumbnails for the requested content');
}

/**
 * Reads the image header (no pixel decoding) and refuses decompression bombs before anything is decoded:
 * more than `maxPixels` pixels in one frame is 413 M_TOO_LARGE, as the spec asks.
 */
export async function probeImage(input: ImageInput, format: ImageFormat, maxPixels: number): Promise<SourceImage> {
  const sharp = await loadSharp();
  let meta: sharpModule.Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch {
    throw cannotThumbnail();
  }
  const frameHeight = meta.pageHeight ?? meta.height;
  if (!meta.width || !frameHeight) throw cannotThumbnail();
  if (meta.width * frameHeight > maxPixels) throw tooLarge('Image is too large to thumbnail');
  // Orientations 5-8 are rotated by 90 degrees: the displayed image has width and height swapped.
  const swap = (meta.orientation ?? 1) >= 5;
  return {
    width: swap ? frameHeight : meta.width,
    height: swap ? meta.width : frameHeight,
    format,
    frames: meta.pages ?? 1,
  };
}

/**
 * Renders one thumbnail. Animated output decodes every frame, so it is only attempted when all frames
 * together stay within `maxPixels`; otherwise the first frame is used.
 */
export async function renderThumbnail(
  input: ImageInput,
  source: SourceImage,
  spec: ThumbnailSpec,
  maxPixels: number,
): Promise<{ bytes: Buffer; width: number; height: number; animated: boolean }> {
  const animated = spec.animated && source.width * source.height * source.frames <= maxPixels;
  const size = outputSize(source, spec);
  const sharp = await loadSharp();
  try {
    let img = sharp(input, { limitInputPixels: animated ? source.width * source.height * source.frames : maxPixels, animated });
    // EXIF orientation applies to still photos; animated formats carry none (and sharp cannot rotate them).
    if (!animated) img = img.rotate();
    img = img.resize(size.width, size.height, { fit: spec.method === 'crop' ? 'cover' : 'fill' });
    if (spec.type === 'image/jpeg') img = img.jpeg({ quality: 80 });
    else if (spec.type === 'image/webp') img = img.webp({ quality: 80, effort: 3 });
    else img = img.png({ compressionLevel: 6 });
    const { data, info } = await img.toBuffer({ resolveWithObject: true });
    const height = animated && info.pageHeight ? info.pageHeight : info.height;
    return { bytes: data, width: info.width, height, animated };
  } catch {
    throw cannotThumbnail();
  }
}

/** Width, height and type of an image, for URL previews (og:image:width/height); null if not an image. */
export async function imageDimensions(input: ImageInput): Promise<{ width: number; height: number } | null> {
  try {
    const sharp = await loadSharp();
    const meta = await sharp(input, { limitInputPixels: false }).metadata();
    const h = meta.pageHeight ?? meta.height;
    return meta.width && h ? { width: meta.width, height: h } : null;
  } catch {
    return null;
  }
}
