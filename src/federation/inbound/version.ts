import type { Router } from '@koa/router';
import { packageVersion } from '../../cli/version.js';

// GET /_matrix/federation/v1/version: implementation name and version, unauthenticated (peers and
// federation testers call it before anything else).

export const SERVER_IMPLEMENTATION_NAME = 'Hearth';

/** Registered on the router mounted at /_matrix/federation. */
export function registerVersionRoute(router: Router): void {
  const body = { server: { name: SERVER_IMPLEMENTATION_NAME, version: packageVersion() } };
  router.get('/v1/version', (ctx) => {
    ctx.body = body;
  });
}
