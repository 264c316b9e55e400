import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { invalidParam } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { queryBool, queryInt, queryString } from '../../http/validate.js';
import { authenticate, getRequester } from '../requester.js';
import { optionalPathParam, pathParam, queryDirection } from '../rooms/read/params.js';

// GET /v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] and GET /v1/rooms/{roomId}/threads.

/** Synapse's defaults: 5 children per page, at most 1000; thread lists alike. */
const DEFAULT_LIMIT = 5;
const MAX_LIMIT = 1000;

function limitOf(ctx: Context): number {
  return Math.min(queryInt(ctx.query, 'limit', { min: 1, default: DEFAULT_LIMIT }), MAX_LIMIT);
}

function optionalToken(ctx: Context, name: string): string | undefined {
  return queryString(ctx.query, name) || undefined;
}

export function registerRelationRoutes(router: Router, deps: HttpDeps): void {
  const auth = authenticate(deps, { allowGuest: true });
  const relations = () => deps.services.relations;

  const handler = async (ctx: Context) => {
    ctx.body = await relations().relations(getRequester(ctx), pathParam(ctx, 'roomId'), pathParam(ctx, 'eventId'), {
      relType: optionalPathParam(ctx, 'relType'),
      eventType: optionalPathParam(ctx, 'eventType'),
      from: optionalToken(ctx, 'from'),
      to: optionalToken(ctx, 'to'),
      limit: limitOf(ctx),
      dir: queryDirection(ctx.query, 'b'),
      recurse: queryBool(ctx.query, 'recurse', false) || queryBool(ctx.query, 'org.matrix.msc3981.recurse', false),
    });
  };
  router.get('/v1/rooms/:roomId/relations/:eventId', auth, handler);
  router.get('/v1/rooms/:roomId/relations/:eventId/:relType', auth, handler);
  router.get('/v1/rooms/:roomId/relations/:eventId/:relType/:eventType', auth, handler);

  router.get('/v1/rooms/:roomId/threads', auth, async (ctx) => {
    const include = queryString(ctx.query, 'include') || 'all';
    if (include !== 'all' && include !== 'participated') throw invalidParam("Query parameter include must be 'all' or 'participated'");
    ctx.body = await relations().threads(getRequester(ctx), pathParam(ctx, 'roomId'), {
      include,
      from: optionalToken(ctx, 'from'),
      limit: limitOf(ctx),
    });
  });
}
