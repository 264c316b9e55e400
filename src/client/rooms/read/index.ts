import type { Router } from '@koa/router';
import type { HttpDeps } from '../../../http/deps.js';
import { registerDirectoryRoutes } from './directory-routes.js';
import { registerStateRoutes } from './state-routes.js';
import { registerTimelineRoutes } from './timeline-routes.js';

// Registers the room read routes (paths relative to /_matrix/client).
export function registerRoomReadRoutes(router: Router, deps: HttpDeps): void {
  registerTimelineRoutes(router, deps);
  registerStateRoutes(router, deps);
  registerDirectoryRoutes(router, deps);
}
