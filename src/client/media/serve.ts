import type { Context } from 'koa';
import { MatrixError } from '../../errors/index.js';
import { sendStream } from '../../http/response-bodies.js';
import type { ByteRange, MediaContent } from '../../media/index.js';

// Writing media to the response: the safety headers the spec and Synapse use, Content-Disposition (inline
// only for types that cannot script), and single byte ranges.

/** The spec's list of types safe to serve with Content-Disposition: inline. */
const INLINE_TYPES = new Set([
  'text/css',
  'text/plain',
  'text/csv',
  'application/json',
  'application/ld+json',
  'image/jpeg',
  'image/gif',
  'image/png',
  'image/apng',
  'image/webp',
  'image/avif',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
  'audio/mp4',
  'audio/webm',
  'audio/aac',
  'audio/mpeg',
  'audio/ogg',
  'audio/wave',
  'audio/wav',
  'audio/x-wav',
  'audio/x-pn-wav',
  'audio/flac',
  'audio/x-flac',
]);

/** The spec's recommended policy: even a document opened directly from the media URL cannot run script. */
const CSP =
  "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';";

export function baseType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

export function isInlineSafe(contentType: string): boolean {
  return INLINE_TYPES.has(baseType(contentType));
}

// RFC 6266 / RFC 7230 token characters: such a name may be sent bare.
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** `inline; filename=a.png`, or `attachment; filename*=utf-8''%E2%9C%93.txt` for names that are not tokens. */
export function contentDisposition(disposition: 'inline' | 'attachment', fileName: string | null): string {
  if (fileName === null || fileName === '') return disposition;
  if (TOKEN.test(fileName)) return `${disposition}; filename=${fileName}`;
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename*=utf-8''${encoded}`;
}

/** Text without a declared charset is served as UTF-8, the "reasonable" adjustment the spec allows. */
export function servedContentType(contentType: string): string {
  if (baseType(contentType).startsWith('text/') && !/;\s*charset=/i.test(contentType)) return `${contentType}; charset=utf-8`;
  return contentType;
}

/**
 * Parses a single `bytes=` range against `length`. Null means "serve everything" (no header, several
 * ranges, or a syntax we ignore, as RFC 9110 allows); an unsatisfiable range throws 416.
 */
export function parseRange(header: string | undefined, length: number): ByteRange | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, a = '', b = ''] = m;
  let start: number;
  let end: number;
  if (a === '' && b === '') return null;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) throw unsatisfiable(length);
    start = Math.max(0, length - suffix);
    end = length - 1;
  } else {
    start = Number(a);
    end = b === '' ? length - 1 : Math.min(Number(b), length - 1);
    if (b !== '' && Number(b) < start) return null;
  }
  if (start >= length || length === 0) throw unsatisfiable(length);
  return { start, end };
}

function unsatisfiable(length: number): MatrixError {
  return new MatrixError('M_UNKNOWN', 416, 'Requested range not satisfiable', {}, { 'Content-Range': `bytes */${length}` });
}

export interface ServeOptions {
  /** The name for Content-Disposition (the path's fileName, else the upload name). */
  fileName: string | null;
  /** Thumbnails are always inline (the spec says MUST). */
  forceInline?: boolean;
}

export async function serveMedia(ctx: Context, content: MediaContent, opts: ServeOptions): Promise<void> {
  const range = parseRange(ctx.get('Range') || undefined, content.length);
  const inline = opts.forceInline === true || isInlineSafe(content.contentType);
  ctx.set('Content-Security-Policy', CSP);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
  ctx.set('X-Robots-Tag', 'noindex, nofollow, noarchive, noimageindex');
  // Media never changes once uploaded, so caches may keep it (Synapse sends the same).
  ctx.set('Cache-Control', 'public, max-age=86400, s-maxage=86400');
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('Content-Disposition', contentDisposition(inline ? 'inline' : 'attachment', opts.fileName));
  const type = servedContentType(content.contentType);
  const length = range ? range.end - range.start + 1 : content.length;
  ctx.status = range ? 206 : 200;
  if (range) ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${content.length}`);
  ctx.set('Content-Type', type);
  ctx.length = length;
  if (ctx.method === 'HEAD') return;
  sendStream(ctx, await content.open(range ?? undefined));
}
