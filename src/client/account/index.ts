import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';

// Registers this feature's /_matrix/client routes (paths relative to /_matrix/client).
export function registerAccountRoutes(_router: Router, _deps: HttpDeps): void {}
