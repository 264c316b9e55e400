import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { readJsonObject } from '../../http/json-body.js';
import { authenticate, getRequester } from '../requester.js';
import { clientPaths } from './paths.js';

// POST /user/{userId}/filter and GET /user/{userId}/filter/{filterId}. The filter itself is validated by the
// sync service, which also validates inline filters given to /sync.

export function registerFilterRoutes(router: Router, deps: HttpDeps): void {
  const auth = authenticate(deps, { allowGuest: true });
  router.post(clientPaths('/user/:userId/filter'), auth, async (ctx) => {
    const { userId } = ctx.params as { userId: string };
    const body = await readJsonObject(ctx);
    ctx.body = { filter_id: await deps.services.sync.createFilter(getRequester(ctx), userId, body) };
  });
  router.get(clientPaths('/user/:userId/filter/:filterId'), auth, async (ctx) => {
    const { userId, filterId } = ctx.params as { userId: string; filterId: string };
    ctx.body = await deps.services.sync.getFilter(getRequester(ctx), userId, filterId);
  });
}
