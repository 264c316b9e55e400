import type { Router } from '@koa/router';
import type { HttpDeps } from '../../../http/deps.js';
import { validateBody } from '../../../http/validate.js';
import type { CreateRoomRequest } from '../../../rooms/index.js';
import { authenticate, getRequester } from '../../requester.js';
import { clientPaths } from './paths.js';
import { createRoomSchema, upgradeSchema } from './schemas.js';

export function registerCreateRoomRoutes(router: Router, deps: HttpDeps): void {
  const createBody = validateBody<CreateRoomRequest>(createRoomSchema);
  router.post(clientPaths('/createRoom'), authenticate(deps), createBody, async (ctx) => {
    ctx.body = await deps.services.rooms.createRoom(getRequester(ctx), createBody.body(ctx));
  });

  const upgradeBody = validateBody<{ new_version: string; additional_creators?: string[] }>(upgradeSchema);
  router.post(clientPaths('/rooms/:roomId/upgrade'), authenticate(deps), upgradeBody, async (ctx) => {
    const body = upgradeBody.body(ctx);
    ctx.body = await deps.services.rooms.upgradeRoom(getRequester(ctx), String(ctx.params.roomId), body.new_version, body.additional_creators);
  });
}
