import type { Router } from '@koa/router';
import type { HttpDeps } from '../../../http/deps.js';
import { registerCreateRoomRoutes } from './create-room-routes.js';
import { registerMembershipRoutes } from './membership-routes.js';
import { registerSendRoutes } from './send-routes.js';

// Registers the room write routes (paths relative to /_matrix/client): createRoom, membership, send, state,
// redact and upgrade. Each parses and validates, calls the room service, and shapes the reply.
export function registerRoomWriteRoutes(router: Router, deps: HttpDeps): void {
  registerCreateRoomRoutes(router, deps);
  registerMembershipRoutes(router, deps);
  registerSendRoutes(router, deps);
}
