import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { registerRoomReadRoutes } from './read/index.js';
import { registerRoomWriteRoutes } from './write/index.js';

// Room routes: write/ creates events (createRoom, membership, send, state, redact, upgrade);
// read/ serves them (messages, context, event, state, members, aliases, directory, public rooms).
export function registerRoomRoutes(router: Router, deps: HttpDeps): void {
  registerRoomWriteRoutes(router, deps);
  registerRoomReadRoutes(router, deps);
}
