import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { MatrixError, missingParam } from '../../../errors/index.js';
import type { HttpDeps } from '../../../http/deps.js';
import { compileValidator, type Query } from '../../../http/validate.js';
import { readJsonObject } from '../../../http/json-body.js';
import { authenticate, getRequester } from '../../requester.js';
import { clientPaths } from './paths.js';
import { reasonSchema, targetSchema } from './schemas.js';

// POST /join/{roomIdOrAlias}, /knock/{roomIdOrAlias}, /rooms/{roomId}/{join,leave,invite,kick,ban,unban,forget}.

/** `via` (v1.12) and the older `server_name`, both repeatable query parameters. */
function viaServers(query: Query): string[] {
  const out: string[] = [];
  for (const name of ['via', 'server_name']) {
    const v = query[name];
    if (Array.isArray(v)) out.push(...v);
    else if (typeof v === 'string' && v !== '') out.push(v);
  }
  return [...new Set(out)];
}

export function registerMembershipRoutes(router: Router, deps: HttpDeps): void {
  const rooms = () => deps.services.rooms;
  const checkReason = compileValidator<{ reason?: string }>(reasonSchema);
  const checkTarget = compileValidator<{ user_id: string; reason?: string }>(targetSchema);
  // Clients often POST these with an empty body.
  const reasonBody = async (ctx: Context) => checkReason(await readJsonObject(ctx, { allowEmpty: true }));

  router.post(clientPaths('/join/:roomIdOrAlias'), authenticate(deps, { allowGuest: true }), async (ctx) => {
    const { reason } = await reasonBody(ctx);
    ctx.body = await rooms().join(getRequester(ctx), String(ctx.params.roomIdOrAlias), {
      servers: viaServers(ctx.query),
      ...(reason !== undefined ? { reason } : {}),
    });
  });
  router.post(clientPaths('/rooms/:roomId/join'), authenticate(deps, { allowGuest: true }), async (ctx) => {
    const { reason } = await reasonBody(ctx);
    ctx.body = await rooms().join(getRequester(ctx), String(ctx.params.roomId), reason !== undefined ? { reason } : {});
  });
  router.post(clientPaths('/knock/:roomIdOrAlias'), authenticate(deps), async (ctx) => {
    const { reason } = await reasonBody(ctx);
    ctx.body = await rooms().knock(getRequester(ctx), String(ctx.params.roomIdOrAlias), {
      servers: viaServers(ctx.query),
      ...(reason !== undefined ? { reason } : {}),
    });
  });
  router.post(clientPaths('/rooms/:roomId/leave'), authenticate(deps, { allowGuest: true }), async (ctx) => {
    const { reason } = await reasonBody(ctx);
    await rooms().leave(getRequester(ctx), String(ctx.params.roomId), reason);
    ctx.body = {};
  });
  router.post(clientPaths('/rooms/:roomId/forget'), authenticate(deps, { allowGuest: true }), async (ctx) => {
    await readJsonObject(ctx, { allowEmpty: true });
    await rooms().forget(getRequester(ctx), String(ctx.params.roomId));
    ctx.body = {};
  });

  router.post(clientPaths('/rooms/:roomId/invite'), authenticate(deps), async (ctx) => {
    const raw = await readJsonObject(ctx);
    if (raw.user_id === undefined && (raw.medium !== undefined || raw.address !== undefined)) {
      throw new MatrixError('M_UNRECOGNIZED', 400, 'Third-party invites need an identity server, which this server does not use');
    }
    if (raw.user_id === undefined) throw missingParam('Missing required field in body: user_id');
    const body = checkTarget(raw);
    await rooms().invite(getRequester(ctx), String(ctx.params.roomId), body.user_id, body.reason);
    ctx.body = {};
  });
  for (const action of ['kick', 'ban', 'unban'] as const) {
    router.post(clientPaths(`/rooms/:roomId/${action}`), authenticate(deps), async (ctx) => {
      const body = checkTarget(await readJsonObject(ctx));
      await rooms()[action](getRequester(ctx), String(ctx.params.roomId), body.user_id, body.reason);
      ctx.body = {};
    });
  }
}
