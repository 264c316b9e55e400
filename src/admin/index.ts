import type { Router } from '@koa/router';
import { IndexedRouter } from '../http/indexed-router.js';
import { packageVersion } from '../cli/version.js';
import type { HttpDeps } from '../http/deps.js';
import { registerRegistrationTokenRoutes } from './registration-tokens.js';
import { registerSharedSecretRoutes } from './shared-secret-register.js';
import { registerReportAdminRoutes } from './reports.js';
import { registerUserSuspensionRoutes } from './user-suspension.js';
import { registerServerNoticeRoutes } from './server-notices.js';
import { registerAppserviceAdminRoutes } from '../client/appservice/admin.js';

export { requireAdmin } from './require-admin.js';
export { registrationMac } from './shared-secret-register.js';

/**
 * The Synapse-compatible admin API under /_synapse/admin, served with the client API (where Synapse serves it)
 * so existing tooling works unchanged. Admin features add their register functions here.
 */
export function createAdminRouter(deps: HttpDeps): Router {
  const router = new IndexedRouter({ prefix: '/_synapse/admin' });
  const now = deps.now ?? Date.now;
  router.get('/v1/server_version', (ctx) => {
    ctx.body = { server_version: packageVersion() };
  });
  registerSharedSecretRoutes(router, deps);
  registerRegistrationTokenRoutes(router, deps, now);
  registerReportAdminRoutes(router, deps);
  registerUserSuspensionRoutes(router, deps);
  registerServerNoticeRoutes(router, deps);
  registerAppserviceAdminRoutes(router, deps);
  return router;
}
