import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { queryBool, queryInt, queryString } from '../../http/validate.js';
import { authenticate, authenticateOptional, findRequester, getRequester } from '../requester.js';
import { pathParam } from '../rooms/read/params.js';

// Spaces: GET /v1/rooms/{roomId}/hierarchy and the v1.15 room summary (with MSC3266's unstable paths, which
// Element still calls). Rooms this server does not hold are asked of other servers: the m.space.child `via`
// for the hierarchy, the summary's `via` query parameter (or the remote alias's servers) for a summary.
export function registerSpaceRoutes(router: Router, deps: HttpDeps): void {
  // MSC2946's unstable path is still called by older Element builds and bots.
  const hierarchyPaths = ['/v1/rooms/:roomId/hierarchy', '/unstable/org.matrix.msc2946/rooms/:roomId/hierarchy'];
  router.get(hierarchyPaths, authenticate(deps, { allowGuest: true }), async (ctx) => {
    const from = queryString(ctx.query, 'from');
    const maxDepth = queryInt(ctx.query, 'max_depth', { min: 0 });
    const limit = queryInt(ctx.query, 'limit', { min: 1 });
    ctx.body = await deps.services.spaces.hierarchy(getRequester(ctx).userId, pathParam(ctx, 'roomId'), {
      suggestedOnly: queryBool(ctx.query, 'suggested_only', false),
      ...(maxDepth !== undefined ? { maxDepth } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(from !== undefined ? { from } : {}),
    });
  });

  const summaryPaths = [
    '/v1/room_summary/:roomIdOrAlias',
    '/unstable/im.nheko.summary/summary/:roomIdOrAlias',
    '/unstable/im.nheko.summary/rooms/:roomIdOrAlias/summary',
  ];
  router.get(summaryPaths, authenticateOptional(deps, { allowGuest: true }), async (ctx) => {
    const requester = findRequester(ctx);
    const raw = ctx.query.via;
    const via = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((s) => s !== '');
    ctx.body = await deps.services.spaces.roomSummary(requester?.userId ?? null, pathParam(ctx, 'roomIdOrAlias'), via);
  });
}
