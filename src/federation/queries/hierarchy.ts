import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { queryBool } from '../../http/validate.js';
import { getOrigin, requireServerAuth } from '../inbound/auth.js';

// GET /_matrix/federation/v1/hierarchy/{roomId}: another server walking a space through a room we hold.

export function registerHierarchyQuery(router: Router, deps: HttpDeps): void {
  router.get('/v1/hierarchy/:roomId', requireServerAuth(deps), async (ctx) => {
    const roomId = ctx.params.roomId ?? '';
    ctx.body = await deps.services.spaces.federationHierarchy(getOrigin(ctx), roomId, queryBool(ctx.query, 'suggested_only', false));
  });
}
