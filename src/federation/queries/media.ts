import { randomBytes } from 'node:crypto';
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { invalidParam } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { queryBool, queryInt, queryString } from '../../http/validate.js';
import type { MediaContent } from '../../media/index.js';
import { requireServerAuth } from '../inbound/auth.js';

// GET /_matrix/federation/v1/media/download/{mediaId} and /thumbnail/{mediaId} (spec v1.11): our media for
// other servers, as multipart/mixed: a JSON metadata part (empty for now, as the spec defines no fields),
// then the bytes with their Content-Type. Only our own media: a federation request never fans out.

/** How long a download may wait for a pending upload (timeout_ms), like the client API's cap. */
const MAX_WAIT_MS = 60_000;

async function readAll(content: MediaContent): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await content.open()) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Quotes a file name for Content-Disposition; non-ASCII names use RFC 5987's filename*. */
function disposition(name: string | null): string | null {
  if (name === null || name === '') return null;
  if (/^[\x20-\x7e]*$/.test(name) && !/["\\]/.test(name)) return `attachment; filename="${name}"`;
  return `attachment; filename*=utf-8''${encodeURIComponent(name)}`;
}

async function sendMultipart(ctx: Context, content: MediaContent): Promise<void> {
  const bytes = await readAll(content);
  const boundary = randomBytes(16).toString('hex');
  const headers = [`Content-Type: ${content.contentType}`];
  const disp = disposition(content.uploadName);
  if (disp !== null) headers.push(`Content-Disposition: ${disp}`);
  ctx.status = 200;
  ctx.set('Content-Type', `multipart/mixed; boundary=${boundary}`);
  ctx.body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n`, 'utf8'),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
  ]);
}

export function registerMediaQueries(router: Router, deps: HttpDeps): void {
  const serverName = deps.config.serverName;
  const timeoutMs = (ctx: Context) => Math.min(queryInt(ctx.query, 'timeout_ms', { min: 0 }) ?? 20_000, MAX_WAIT_MS);

  router.get('/v1/media/download/:mediaId', requireServerAuth(deps), async (ctx) => {
    const content = await deps.services.media.download(serverName, ctx.params.mediaId ?? '', { authenticated: true, timeoutMs: timeoutMs(ctx) });
    await sendMultipart(ctx, content);
  });

  router.get('/v1/media/thumbnail/:mediaId', requireServerAuth(deps), async (ctx) => {
    const width = queryInt(ctx.query, 'width', { min: 1, max: 100_000 });
    const height = queryInt(ctx.query, 'height', { min: 1, max: 100_000 });
    if (width === undefined || height === undefined) throw invalidParam('width and height are required');
    const method = queryString(ctx.query, 'method') ?? 'scale';
    if (method !== 'crop' && method !== 'scale') throw invalidParam('method must be "crop" or "scale"');
    const req = { width, height, method, animated: queryBool(ctx.query, 'animated', false) } as const;
    const content = await deps.services.media.thumbnail(serverName, ctx.params.mediaId ?? '', req, { authenticated: true, timeoutMs: timeoutMs(ctx) });
    await sendMultipart(ctx, content);
  });
}
