import type { Router } from '@koa/router';
import { invalidParam } from '../../../errors/index.js';
import type { HttpDeps } from '../../../http/deps.js';
import { queryString } from '../../../http/validate.js';
import { authenticate, getRequester } from '../../requester.js';
import { optionalPathParam, pathParam, v3Paths } from './params.js';

// GET /rooms/{roomId}/state, /state/{eventType}/{stateKey}, /members, /joined_members and /joined_rooms.

const MEMBERSHIPS = new Set(['join', 'invite', 'leave', 'ban', 'knock']);

function membershipParam(query: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = queryString(query, name);
  if (v === undefined || v === '') return undefined;
  if (!MEMBERSHIPS.has(v)) throw invalidParam(`Query parameter ${name} must be one of join, invite, leave, ban, knock`);
  return v;
}

export function registerStateRoutes(router: Router, deps: HttpDeps): void {
  const reader = () => deps.services.roomReader;
  const auth = authenticate(deps, { allowGuest: true });

  router.get(v3Paths('/rooms/:roomId/state'), auth, async (ctx) => {
    ctx.body = await reader().state(getRequester(ctx), pathParam(ctx, 'roomId'));
  });

  // An empty state key may be written as `/state/{type}`, `/state/{type}/` or `/state/{type}/{key}`.
  router.get(v3Paths('/rooms/:roomId/state/:eventType{/:stateKey}'), auth, async (ctx) => {
    const format = queryString(ctx.query, 'format');
    if (format !== undefined && format !== 'content' && format !== 'event') {
      throw invalidParam("Query parameter format must be 'content' or 'event'");
    }
    ctx.body = await reader().stateEvent(
      getRequester(ctx),
      pathParam(ctx, 'roomId'),
      pathParam(ctx, 'eventType'),
      optionalPathParam(ctx, 'stateKey') ?? '',
      format ?? 'content',
    );
  });

  router.get(v3Paths('/rooms/:roomId/members'), auth, async (ctx) => {
    const chunk = await reader().members(getRequester(ctx), pathParam(ctx, 'roomId'), {
      at: queryString(ctx.query, 'at') || undefined,
      membership: membershipParam(ctx.query, 'membership'),
      notMembership: membershipParam(ctx.query, 'not_membership'),
    });
    ctx.body = { chunk };
  });

  router.get(v3Paths('/rooms/:roomId/joined_members'), auth, async (ctx) => {
    ctx.body = { joined: await reader().joinedMembers(getRequester(ctx), pathParam(ctx, 'roomId')) };
  });

  router.get(v3Paths('/joined_rooms'), authenticate(deps), async (ctx) => {
    ctx.body = { joined_rooms: await reader().joinedRooms(getRequester(ctx)) };
  });
}
