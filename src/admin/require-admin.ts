import type { Middleware } from 'koa';
import { forbidden } from '../errors/index.js';
import type { HttpDeps } from '../http/deps.js';
import { getRequester } from '../client/requester.js';

/** Put after authenticate(): only server admins pass (Synapse's message, which admin tools show). */
export function requireAdmin(deps: HttpDeps): Middleware {
  return async (ctx, next) => {
    if (!(await deps.services.users.isAdmin(getRequester(ctx).userId))) throw forbidden('You are not a server admin');
    await next();
  };
}
