// Content sniffing, used ONLY to decide whether we may hand a file to the image decoder. What clients
// get back is always the Content-Type the uploader gave; a file that claims to be image/png but is not
// simply gets no thumbnail.

export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'avif' | 'tiff';

/** Bytes needed by sniffImage. */
export const SNIFF_BYTES = 32;

function ascii(buf: Uint8Array, offset: number, text: string): boolean {
  if (buf.length < offset + text.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[offset + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The raster format the leading bytes announce, or null for anything we do not thumbnail (SVG, PDF, video...). */
export function sniffImage(head: Uint8Array): ImageFormat | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && head[0] === 0x89 && ascii(head, 1, 'PNG\r\n\x1a\n')) return 'png';
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return 'gif';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return 'webp';
  if (ascii(head, 4, 'ftypavif') || ascii(head, 4, 'ftypavis')) return 'avif';
  if (ascii(head, 0, 'II*\0') || ascii(head, 0, 'MM\0*')) return 'tiff';
  return null;
}

/** Formats that can carry several frames, for which animated thumbnails make sense. */
export function mayBeAnimated(format: ImageFormat): boolean {
  return format === 'gif' || format === 'webp';
}
