import type { Router } from '@koa/router';
import { IndexedRouter } from '../../http/indexed-router.js';
import type { HttpDeps } from '../../http/deps.js';
import { registerDownloadRoutes } from './download-routes.js';
import { registerUploadRoutes } from './upload-routes.js';

// The media surfaces. Synapse serves /_matrix/media on listeners with the 'media' or 'client' resource
// and the authenticated /_matrix/client/v1/media on 'client' ones; src/http/app.ts mounts them so.

/** /_matrix/media: uploads, and the deprecated unauthenticated downloads (v3, plus r0/v1 that clients still use). */
export function createMediaRouter(deps: HttpDeps): Router {
  const router = new IndexedRouter({ prefix: '/_matrix/media' });
  registerUploadRoutes(router, deps);
  registerDownloadRoutes(router, deps, { authenticated: false, prefixes: ['/v3', '/r0', '/v1'] });
  return router;
}

/** /_matrix/client/v1/media: authenticated downloads, thumbnails, config and URL previews (Matrix 1.11). */
export function createAuthenticatedMediaRouter(deps: HttpDeps): Router {
  const router = new IndexedRouter({ prefix: '/_matrix/client/v1/media' });
  registerDownloadRoutes(router, deps, { authenticated: true, prefixes: [''] });
  return router;
}
