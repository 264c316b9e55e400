import type { Router } from '@koa/router';
import type { HttpDeps } from '../../../http/deps.js';

// Registers the room write routes (paths relative to /_matrix/client).
export function registerRoomWriteRoutes(_router: Router, _deps: HttpDeps): void {}
