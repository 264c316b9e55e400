import type { Router } from '@koa/router';
import { IndexedRouter } from '../http/indexed-router.js';
import type { HttpDeps } from '../http/deps.js';
import { registerVersionsRoute } from './versions.js';
import { registerClientWellKnownRoute } from './well-known.js';
import { registerAccountRoutes } from './account/index.js';
import { registerRoomRoutes } from './rooms/index.js';
import { registerSyncRoutes } from './sync/index.js';
import { registerKeyRoutes } from './keys/index.js';
import { registerRelationRoutes } from './relations/index.js';
import { registerSearchRoutes } from './search/index.js';
import { registerSpaceRoutes } from './spaces/index.js';
import { registerUserDirectoryRoutes } from './user-directory/index.js';
import { registerReportingRoutes } from './reporting/index.js';
import { registerMiscRoutes } from './misc/index.js';
import { registerPushRoutes } from './push/index.js';
import { registerAppserviceRoutes } from './appservice/index.js';

/**
 * The /_matrix/client router. Each feature file exports a register function and is added here;
 * paths inside are relative to /_matrix/client (so `/v3/login`, `/versions`).
 */
export function createClientRouter(deps: HttpDeps): Router {
  const router = new IndexedRouter({ prefix: '/_matrix/client' });
  registerVersionsRoute(router);
  registerAccountRoutes(router, deps);
  registerRoomRoutes(router, deps);
  registerSyncRoutes(router, deps);
  registerKeyRoutes(router, deps);
  registerAppserviceRoutes(router, deps);
  registerRelationRoutes(router, deps);
  registerSearchRoutes(router, deps);
  registerSpaceRoutes(router, deps);
  registerUserDirectoryRoutes(router, deps);
  registerReportingRoutes(router, deps);
  registerMiscRoutes(router, deps);
  registerPushRoutes(router, deps);
  return router;
}

/** /.well-known/matrix/client, served wherever the client API is. */
export function createClientWellKnownRouter(deps: HttpDeps): Router {
  const router = new IndexedRouter();
  registerClientWellKnownRoute(router, deps.config);
  return router;
}
