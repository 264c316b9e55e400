import type { Router } from '@koa/router';
import type { Context } from 'koa';
import type { HttpDeps } from '../../http/deps.js';
import { RateLimiter } from '../../http/rate-limit.js';
import { queryString } from '../../http/validate.js';
import type { UploadInput } from '../../media/index.js';
import { authenticate, getRequester } from '../requester.js';

// POST /_matrix/media/v3/upload, POST /_matrix/media/v1/create, PUT /_matrix/media/v3/upload/{server}/{id}.
// Bodies are raw bytes streamed to the media backend, never buffered and never parsed as JSON.

function uploadInput(ctx: Context): UploadInput {
  const raw = ctx.get('Content-Length');
  const declared = raw !== '' && /^\d+$/.test(raw) ? Number(raw) : undefined;
  const filename = queryString(ctx.query, 'filename');
  return {
    source: ctx.req,
    contentType: ctx.get('Content-Type') || null,
    filename: filename === undefined || filename === '' ? null : filename,
    declaredLength: declared,
  };
}

/** Registers the upload routes on the /_matrix/media router (paths relative to it). */
export function registerUploadRoutes(router: Router, deps: HttpDeps): void {
  const media = () => deps.services.media;
  const limiter = new RateLimiter(deps.config.rateLimits, deps.now ? { now: deps.now } : {});
  const auth = authenticate(deps);

  router.post(['/v3/upload', '/r0/upload', '/v1/upload'], auth, async (ctx) => {
    ctx.body = await media().upload(getRequester(ctx).userId, uploadInput(ctx));
  });

  router.post('/v1/create', auth, async (ctx) => {
    const requester = getRequester(ctx);
    limiter.check('media_create', requester.userId);
    ctx.body = await media().createPending(requester.userId);
  });

  router.put(['/v3/upload/:serverName/:mediaId', '/r0/upload/:serverName/:mediaId', '/v1/upload/:serverName/:mediaId'], auth, async (ctx) => {
    const { serverName = '', mediaId = '' } = ctx.params;
    await media().uploadToPending(getRequester(ctx).userId, serverName, mediaId, uploadInput(ctx));
    ctx.body = {};
  });
}
