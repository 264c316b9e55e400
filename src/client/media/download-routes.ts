import type { Router } from '@koa/router';
import type { Context, Middleware } from 'koa';
import { invalidParam } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { queryBool, queryInt, queryString } from '../../http/validate.js';
import type { ThumbnailMethod } from '../../media/index.js';
import { authenticate, getRequester } from '../requester.js';
import { serveMedia } from './serve.js';

// Download, thumbnail, config and preview_url: mounted twice, authenticated under /_matrix/client/v1/media
// and as the deprecated unauthenticated /_matrix/media/v3 endpoints (which only serve media from before
// the freeze; see MediaSettings.enableAuthenticatedMedia).

const DEFAULT_TIMEOUT_MS = 20_000;

function timeoutMs(ctx: Context): number {
  return queryInt(ctx.query, 'timeout_ms', { min: 0, default: DEFAULT_TIMEOUT_MS });
}

function thumbnailMethod(ctx: Context): ThumbnailMethod {
  const m = queryString(ctx.query, 'method') ?? 'scale';
  if (m !== 'crop' && m !== 'scale') throw invalidParam('method must be "crop" or "scale"');
  return m;
}

const THUMBNAIL_NAMES: Record<string, string> = {
  'image/jpeg': 'thumbnail.jpg',
  'image/png': 'thumbnail.png',
  'image/webp': 'thumbnail.webp',
  'image/gif': 'thumbnail.gif',
};

export interface DownloadRouteOptions {
  /** true: /_matrix/client/v1/media (access token required); false: the legacy /_matrix/media endpoints. */
  authenticated: boolean;
  /** Path prefixes relative to the router, e.g. [''] or ['/v3', '/r0', '/v1']. */
  prefixes: readonly string[];
}

export function registerDownloadRoutes(router: Router, deps: HttpDeps, opts: DownloadRouteOptions): void {
  const media = () => deps.services.media;
  const paths = (suffix: string) => opts.prefixes.map((p) => `${p}${suffix}`);
  const access = (ctx: Context) => ({ authenticated: opts.authenticated, timeoutMs: timeoutMs(ctx) });
  // Guests may read media, as in Synapse; only uploads need a full account.
  const readAuth: Middleware[] = opts.authenticated ? [authenticate(deps, { allowGuest: true })] : [];

  const download = async (ctx: Context) => {
    const { serverName = '', mediaId = '', fileName } = ctx.params as Record<string, string | undefined>;
    const content = await media().download(serverName, mediaId, access(ctx));
    await serveMedia(ctx, content, { fileName: fileName ?? content.uploadName });
  };
  router.get(paths('/download/:serverName/:mediaId'), ...readAuth, download);
  router.get(paths('/download/:serverName/:mediaId/:fileName'), ...readAuth, download);

  router.get(paths('/thumbnail/:serverName/:mediaId'), ...readAuth, async (ctx) => {
    const { serverName = '', mediaId = '' } = ctx.params;
    const width = queryInt(ctx.query, 'width', { min: 1, max: 100_000 });
    const height = queryInt(ctx.query, 'height', { min: 1, max: 100_000 });
    if (width === undefined || height === undefined) throw invalidParam('width and height are required');
    const req = { width, height, method: thumbnailMethod(ctx), animated: queryBool(ctx.query, 'animated', false) };
    const content = await media().thumbnail(serverName, mediaId, req, access(ctx));
    await serveMedia(ctx, content, { fileName: THUMBNAIL_NAMES[content.contentType] ?? null, forceInline: true });
  });

  // The config and preview endpoints require a token on both surfaces (the spec says so for v3 too).
  const auth = authenticate(deps, { allowGuest: true });
  router.get(paths('/config'), auth, (ctx) => {
    ctx.body = media().config();
  });
  router.get(paths('/preview_url'), auth, async (ctx) => {
    const url = queryString(ctx.query, 'url');
    if (url === undefined || url === '') throw invalidParam('Missing url parameter');
    queryInt(ctx.query, 'ts', { min: 0 });
    ctx.body = await media().previewUrl(getRequester(ctx).userId, url);
  });
}
