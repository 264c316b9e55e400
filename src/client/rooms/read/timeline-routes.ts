import type { Router } from '@koa/router';
import { missingParam } from '../../../errors/index.js';
import type { HttpDeps } from '../../../http/deps.js';
import { queryInt, queryString } from '../../../http/validate.js';
import { MAX_MESSAGES_LIMIT } from '../../../rooms/index.js';
import { authenticate, getRequester } from '../../requester.js';
import { pathParam, queryDirection, roomEventFilterParser, v3Paths } from './params.js';

// GET /rooms/{roomId}/messages, /context/{eventId}, /event/{eventId} and /v1/rooms/{roomId}/timestamp_to_event.

const DEFAULT_LIMIT = 10;

/** Synapse caps limits instead of refusing large ones; clients ask for e.g. 1000000 expecting "all". */
function limitOf(query: Record<string, string | string[] | undefined>): number {
  const limit = queryInt(query, 'limit', { min: 0, default: DEFAULT_LIMIT });
  return Math.min(limit, MAX_MESSAGES_LIMIT);
}

export function registerTimelineRoutes(router: Router, deps: HttpDeps): void {
  const reader = () => deps.services.roomReader;
  const filterOf = roomEventFilterParser();
  const auth = authenticate(deps, { allowGuest: true });

  router.get(v3Paths('/rooms/:roomId/messages'), auth, async (ctx) => {
    const filter = filterOf(ctx.query);
    ctx.body = await reader().messages(getRequester(ctx), pathParam(ctx, 'roomId'), {
      // Synapse treats a missing dir as forwards; the spec marks it required, clients always send it.
      dir: queryDirection(ctx.query, 'f'),
      from: queryString(ctx.query, 'from') || undefined,
      to: queryString(ctx.query, 'to') || undefined,
      limit: filter?.limit !== undefined && ctx.query.limit === undefined ? Math.min(Math.max(0, filter.limit), MAX_MESSAGES_LIMIT) : limitOf(ctx.query),
      filter,
    });
  });

  router.get(v3Paths('/rooms/:roomId/context/:eventId'), auth, async (ctx) => {
    ctx.body = await reader().context(getRequester(ctx), pathParam(ctx, 'roomId'), pathParam(ctx, 'eventId'), {
      limit: limitOf(ctx.query),
      filter: filterOf(ctx.query),
    });
  });

  router.get(v3Paths('/rooms/:roomId/event/:eventId'), auth, async (ctx) => {
    ctx.body = await reader().event(getRequester(ctx), pathParam(ctx, 'roomId'), pathParam(ctx, 'eventId'));
  });

  router.get('/v1/rooms/:roomId/timestamp_to_event', auth, async (ctx) => {
    const ts = queryInt(ctx.query, 'ts', { min: 0 });
    if (ts === undefined) throw missingParam('Missing required query parameter ts');
    ctx.body = await reader().timestampToEvent(getRequester(ctx), pathParam(ctx, 'roomId'), ts, queryDirection(ctx.query));
  });
}
