import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { queryString, validateBody } from '../../http/validate.js';
import { invalidParam, missingParam } from '../../errors/index.js';
import { authenticate, getRequester } from '../requester.js';
import { pathParam, v3Paths } from '../rooms/read/params.js';

// POST /v3/user_directory/search, GET /v1/mutual_rooms (with MSC2666's unstable path, which clients still use) and
// POST /v3/user/{userId}/openid/request_token.

interface SearchBody {
  search_term: string;
  limit?: number;
}

const DEFAULT_LIMIT = 10;
// Synapse caps nothing here; a bound keeps one request from reading the whole directory.
const MAX_LIMIT = 1000;

export function registerUserDirectoryRoutes(router: Router, deps: HttpDeps): void {
  const searchBody = validateBody<SearchBody>({
    type: 'object',
    properties: { search_term: { type: 'string' }, limit: { type: 'integer', minimum: 0 } },
    required: ['search_term'],
  });
  router.post(v3Paths('/user_directory/search'), authenticate(deps), searchBody, async (ctx) => {
    const body = searchBody.body(ctx);
    const limit = Math.min(body.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
    ctx.body = await deps.services.userDirectory.search(getRequester(ctx).userId, body.search_term, limit);
  });

  router.get(['/v1/mutual_rooms', '/unstable/uk.half-shot.msc2666/user/mutual_rooms'], authenticate(deps), async (ctx) => {
    const other = queryString(ctx.query, 'user_id');
    if (other === undefined) throw missingParam('Missing required query parameter user_id');
    if (other === '') throw invalidParam('The user ID provided was invalid');
    ctx.body = await deps.services.userDirectory.mutualRooms(getRequester(ctx).userId, other, queryString(ctx.query, 'from') || undefined);
  });

  // The spec's body is an empty object; any JSON object is accepted.
  router.post(v3Paths('/user/:userId/openid/request_token'), authenticate(deps), validateBody({ type: 'object' }), async (ctx) => {
    ctx.body = await deps.services.openid.requestToken(getRequester(ctx).userId, pathParam(ctx, 'userId'));
  });
}
