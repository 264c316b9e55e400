import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { registerAccountDataRoutes } from './account-data-routes.js';
import { registerEphemeralRoutes } from './ephemeral-routes.js';
import { registerFilterRoutes } from './filter-routes.js';
import { registerPresenceRoutes } from './presence-routes.js';
import { registerSyncRoute } from './sync-route.js';

// Registers this feature's /_matrix/client routes (paths relative to /_matrix/client): /sync, filters,
// typing, receipts, read markers, presence, account data and tags.
export function registerSyncRoutes(router: Router, deps: HttpDeps): void {
  registerSyncRoute(router, deps);
  registerFilterRoutes(router, deps);
  registerEphemeralRoutes(router, deps);
  registerPresenceRoutes(router, deps);
  registerAccountDataRoutes(router, deps);
}
