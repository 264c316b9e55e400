import type { Router } from '@koa/router';
import { IndexedRouter } from '../../http/indexed-router.js';
import type { HttpDeps } from '../../http/deps.js';
export { IGNORE_EDUS } from './edus.js';
export type { EduHandler, InboundEdu } from './edus.js';
export { FEDERATION_RATE_LIMIT_DEFAULTS, InboundFederationLimits, type FederationRateLimitConfig } from './inbound-limits.js';
import { registerKeyServerRoutes } from './key-server.js';
import { registerNotaryRoutes } from './notary.js';
import { registerRoomRoutes } from './room-routes.js';
import { registerVersionRoute } from './version.js';
import { registerFederationQueries } from '../queries/index.js';

/**
 * The /_matrix/federation router. Federation endpoints (send, make_join, ...) register here as they
 * land; paths inside are relative to /_matrix/federation (so `/v1/send/:txnId`).
 */
export function createFederationRouter(deps: HttpDeps): Router {
  const router = new IndexedRouter({ prefix: '/_matrix/federation' });
  registerVersionRoute(router);
  registerFederationQueries(router, deps);
  registerRoomRoutes(router, deps);
  return router;
}

/** The /_matrix/key router: our own key document now, the notary endpoints later. */
export function createKeyRouter(deps: HttpDeps): Router {
  const router = new IndexedRouter({ prefix: '/_matrix/key' });
  registerKeyServerRoutes(router, deps);
  registerNotaryRoutes(router, deps);
  return router;
}
