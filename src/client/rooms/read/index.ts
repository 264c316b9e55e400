import type { Router } from '@koa/router';
import type { HttpDeps } from '../../../http/deps.js';

// Registers the room read routes (paths relative to /_matrix/client).
export function registerRoomReadRoutes(_router: Router, _deps: HttpDeps): void {}
