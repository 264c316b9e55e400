import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { registerPushRuleRoutes } from './rules-routes.js';
import { registerPusherRoutes } from './pusher-routes.js';

// Push routes (paths relative to /_matrix/client): push rules, pushers, notifications.
export function registerPushRoutes(router: Router, deps: HttpDeps): void {
  registerPushRuleRoutes(router, deps);
  registerPusherRoutes(router, deps);
}
