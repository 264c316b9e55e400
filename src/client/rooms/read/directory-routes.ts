import type { Router } from '@koa/router';
import type { HttpDeps } from '../../../http/deps.js';
import { queryInt, queryString, validateBody } from '../../../http/validate.js';
import type { DirectoryVisibility } from '../../../rooms/index.js';
import { authenticate, authenticateOptional, getRequester } from '../../requester.js';
import { pathParam, v3Paths } from './params.js';
import { PUBLIC_ROOMS_BODY_SCHEMA as publicRoomsSchema, type PublicRoomsBody } from '../../../rooms/index.js';

// Room aliases (/directory/room/{roomAlias}, /rooms/{roomId}/aliases), the published list
// (/directory/list/room/{roomId}) and /publicRooms.

export function registerDirectoryRoutes(router: Router, deps: HttpDeps): void {
  const reader = () => deps.services.roomReader;

  router.get(v3Paths('/directory/room/:roomAlias'), async (ctx) => {
    ctx.body = await reader().resolveAlias(pathParam(ctx, 'roomAlias'));
  });

  const putAlias = validateBody<{ room_id: string }>({
    type: 'object',
    properties: { room_id: { type: 'string', minLength: 1 } },
    required: ['room_id'],
  });
  router.put(v3Paths('/directory/room/:roomAlias'), authenticate(deps), putAlias, async (ctx) => {
    await reader().createAlias(getRequester(ctx), pathParam(ctx, 'roomAlias'), putAlias.body(ctx).room_id);
    ctx.body = {};
  });

  router.delete(v3Paths('/directory/room/:roomAlias'), authenticate(deps), async (ctx) => {
    await reader().deleteAlias(getRequester(ctx), pathParam(ctx, 'roomAlias'));
    ctx.body = {};
  });

  router.get(v3Paths('/rooms/:roomId/aliases'), authenticate(deps), async (ctx) => {
    ctx.body = { aliases: await reader().roomAliases(getRequester(ctx), pathParam(ctx, 'roomId')) };
  });

  router.get(v3Paths('/directory/list/room/:roomId'), async (ctx) => {
    ctx.body = await reader().directoryVisibility(pathParam(ctx, 'roomId'));
  });

  const putVisibility = validateBody<{ visibility?: DirectoryVisibility }>({
    type: 'object',
    properties: { visibility: { enum: ['public', 'private'] } },
  });
  router.put(v3Paths('/directory/list/room/:roomId'), authenticate(deps), putVisibility, async (ctx) => {
    // The spec leaves visibility optional; Synapse reads a missing one as public.
    const visibility = putVisibility.body(ctx).visibility ?? 'public';
    await reader().setDirectoryVisibility(getRequester(ctx), pathParam(ctx, 'roomId'), visibility);
    ctx.body = {};
  });

  // The spec lets anyone read the local directory without an access token; a token, when sent, must be valid.
  router.get(v3Paths('/publicRooms'), authenticateOptional(deps, { allowGuest: true }), async (ctx) => {
    ctx.body = await reader().publicRooms({
      limit: queryInt(ctx.query, 'limit', { min: 0 }),
      since: queryString(ctx.query, 'since') || undefined,
      server: queryString(ctx.query, 'server') || undefined,
    });
  });

  const postPublicRooms = validateBody<PublicRoomsBody>(publicRoomsSchema);
  router.post(v3Paths('/publicRooms'), authenticate(deps), postPublicRooms, async (ctx) => {
    const body = postPublicRooms.body(ctx);
    ctx.body = await reader().publicRooms({
      limit: body.limit !== undefined && body.limit > 0 ? body.limit : undefined,
      since: body.since || undefined,
      server: queryString(ctx.query, 'server') || undefined,
      genericSearchTerm: body.filter?.generic_search_term,
      roomTypes: body.filter?.room_types,
      includeAllNetworks: body.include_all_networks,
      thirdPartyInstanceId: body.third_party_instance_id,
    });
  });
}
