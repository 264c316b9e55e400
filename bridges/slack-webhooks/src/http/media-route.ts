import { Readable } from 'node:stream';
import type { Router } from '@koa/router';
import type { BridgeLogger } from '../../../_shared/src/index.js';
import { isValidMediaPath, type MediaLinks } from '../matrix/media-links.js';

// GET /media/<server>/<mediaId>[/<filename>]?sig=...: the Matrix files the bridge linked to from Slack, fetched
// from the homeserver's authenticated media API with the bridge's token. Only signed links are served (see
// media-links.ts). Types a browser could run (HTML, SVG, scripts) are served as downloads.

const INLINE_TYPES = /^(image\/(png|jpeg|gif|webp|avif)|video\/(mp4|webm|ogg)|audio\/(mpeg|ogg|wav|webm|mp4|aac|flac))$/;

export interface MediaRouteDeps {
  homeserverUrl: string;
  asToken: string;
  links: MediaLinks;
  logger: BridgeLogger;
}

export function registerMediaRoute(router: Router, deps: MediaRouteDeps): void {
  const serve = async (ctx: Parameters<Parameters<Router['get']>[1]>[0]) => {
    const { server, mediaId, filename } = ctx.params as { server: string; mediaId: string; filename?: string };
    const sig = typeof ctx.query.sig === 'string' ? ctx.query.sig : '';
    if (!isValidMediaPath(server, mediaId) || !deps.links.verify(server, mediaId, sig)) {
      ctx.status = 404;
      ctx.body = { error: 'not found' };
      return;
    }
    const upstream = await fetch(`${deps.homeserverUrl}/_matrix/client/v1/media/download/${encodeURIComponent(server)}/${encodeURIComponent(mediaId)}`, {
      headers: { Authorization: `Bearer ${deps.asToken}` },
      redirect: 'error',
    });
    if (!upstream.ok || !upstream.body) {
      deps.logger.info({ server, mediaId, status: upstream.status }, 'media download from the homeserver failed');
      await upstream.body?.cancel();
      ctx.status = upstream.status === 404 ? 404 : 502;
      ctx.body = { error: upstream.status === 404 ? 'not found' : 'the homeserver did not give the file' };
      return;
    }
    const type = (upstream.headers.get('content-type') ?? 'application/octet-stream').split(';')[0]?.trim().toLowerCase() ?? 'application/octet-stream';
    const inline = INLINE_TYPES.test(type);
    ctx.set('Content-Type', inline ? type : 'application/octet-stream');
    const length = upstream.headers.get('content-length');
    if (length) ctx.set('Content-Length', length);
    const name = filename ? decodeURIComponent(filename) : mediaId;
    ctx.set('Content-Disposition', `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(name)}`);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', "sandbox; default-src 'none'");
    // Matrix media never changes once uploaded.
    ctx.set('Cache-Control', 'public, max-age=86400, immutable');
    ctx.body = Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream<Uint8Array>);
  };
  router.get('/media/:server/:mediaId', serve);
  router.get('/media/:server/:mediaId/:filename', serve);
}
