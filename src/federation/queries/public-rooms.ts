import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { queryBool, queryInt, queryString, validateBody } from '../../http/validate.js';
import { requireServerAuth } from '../inbound/auth.js';
import { PUBLIC_ROOMS_BODY_SCHEMA as publicRoomsSchema, type PublicRoomsBody } from '../../rooms/index.js';

// GET and POST /_matrix/federation/v1/publicRooms: our published room directory for other servers (their
// users' /publicRooms?server=ours). Always our own directory: `server` is never passed on.

export function registerPublicRoomsQueries(router: Router, deps: HttpDeps): void {
  router.get('/v1/publicRooms', requireServerAuth(deps), async (ctx) => {
    const limit = queryInt(ctx.query, 'limit', { min: 0 });
    const thirdPartyInstanceId = queryString(ctx.query, 'third_party_instance_id');
    ctx.body = await deps.services.roomReader.publicRooms({
      limit: limit !== undefined && limit > 0 ? limit : undefined,
      since: queryString(ctx.query, 'since') || undefined,
      includeAllNetworks: queryBool(ctx.query, 'include_all_networks', false),
      ...(thirdPartyInstanceId !== undefined ? { thirdPartyInstanceId } : {}),
    });
  });

  const validate = validateBody<PublicRoomsBody>(publicRoomsSchema);
  router.post('/v1/publicRooms', requireServerAuth(deps), validate, async (ctx) => {
    const body = validate.body(ctx);
    ctx.body = await deps.services.roomReader.publicRooms({
      limit: body.limit !== undefined && body.limit > 0 ? body.limit : undefined,
      since: body.since || undefined,
      genericSearchTerm: body.filter?.generic_search_term,
      roomTypes: body.filter?.room_types,
      includeAllNetworks: body.include_all_networks,
      thirdPartyInstanceId: body.third_party_instance_id,
    });
  });
}
