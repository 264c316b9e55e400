import type { Router } from '@koa/router';
import { IndexedRouter } from './indexed-router.js';
import type { Config } from '../config/types.js';

// Routes that belong to the server as a whole rather than to one API surface.

/**
 * The delegation target for /.well-known/matrix/server: host and port of public_baseurl, with 443
 * when the URL names no port (federation is always HTTPS, so that is where peers will connect).
 */
export function serverWellKnown(publicBaseUrl: string): { 'm.server': string } {
  const url = new URL(publicBaseUrl);
  return { 'm.server': `${url.hostname}:${url.port || '443'}` };
}

export function createHealthRouter(): Router {
  const router = new IndexedRouter();
  router.get('/health', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = 'OK';
  });
  return router;
}

export function createServerWellKnownRouter(config: Config): Router {
  const router = new IndexedRouter();
  const body = serverWellKnown(config.publicBaseUrl);
  router.get('/.well-known/matrix/server', (ctx) => {
    ctx.body = body;
  });
  return router;
}
