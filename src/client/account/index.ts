import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { RateLimiter } from '../../http/rate-limit.js';
import { registerAccountManagementRoutes } from './account.js';
import { registerDeviceRoutes } from './devices.js';
import { registerLoginRoutes } from './login.js';
import { registerProfileRoutes } from './profile.js';
import { registerRegistrationRoutes } from './register.js';

// Registers this feature's /_matrix/client routes (paths relative to /_matrix/client).
export function registerAccountRoutes(router: Router, deps: HttpDeps): void {
  // One limiter for registration and login (Synapse's rc_registration, rc_login.*), per router.
  const limiter = new RateLimiter(deps.config.rateLimits, deps.now ? { now: deps.now } : {});
  registerRegistrationRoutes(router, deps, limiter);
  registerLoginRoutes(router, deps, limiter);
  registerAccountManagementRoutes(router, deps);
  registerDeviceRoutes(router, deps);
  registerProfileRoutes(router, deps);
}
