import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { readJsonObject } from '../../http/json-body.js';
import { authenticate, getRequester } from '../requester.js';
import { clientPaths } from './paths.js';

// Account data (global and per room) and room tags.

export function registerAccountDataRoutes(router: Router, deps: HttpDeps): void {
  const auth = authenticate(deps, { allowGuest: true });
  const svc = () => deps.services.accountData;

  router.get(clientPaths('/user/:userId/account_data/:type'), auth, async (ctx) => {
    const { userId, type } = ctx.params as { userId: string; type: string };
    ctx.body = await svc().getGlobal(getRequester(ctx), userId, type);
  });
  router.put(clientPaths('/user/:userId/account_data/:type'), auth, async (ctx) => {
    const { userId, type } = ctx.params as { userId: string; type: string };
    await svc().putGlobal(getRequester(ctx), userId, type, await readJsonObject(ctx));
    ctx.body = {};
  });
  router.get(clientPaths('/user/:userId/rooms/:roomId/account_data/:type'), auth, async (ctx) => {
    const { userId, roomId, type } = ctx.params as { userId: string; roomId: string; type: string };
    ctx.body = await svc().getRoom(getRequester(ctx), userId, roomId, type);
  });
  router.put(clientPaths('/user/:userId/rooms/:roomId/account_data/:type'), auth, async (ctx) => {
    const { userId, roomId, type } = ctx.params as { userId: string; roomId: string; type: string };
    await svc().putRoom(getRequester(ctx), userId, roomId, type, await readJsonObject(ctx));
    ctx.body = {};
  });

  router.get(clientPaths('/user/:userId/rooms/:roomId/tags'), auth, async (ctx) => {
    const { userId, roomId } = ctx.params as { userId: string; roomId: string };
    ctx.body = await svc().getTags(getRequester(ctx), userId, roomId);
  });
  router.put(clientPaths('/user/:userId/rooms/:roomId/tags/:tag'), auth, async (ctx) => {
    const { userId, roomId, tag } = ctx.params as { userId: string; roomId: string; tag: string };
    await svc().putTag(getRequester(ctx), userId, roomId, tag, await readJsonObject(ctx));
    ctx.body = {};
  });
  router.delete(clientPaths('/user/:userId/rooms/:roomId/tags/:tag'), auth, async (ctx) => {
    const { userId, roomId, tag } = ctx.params as { userId: string; roomId: string; tag: string };
    await svc().deleteTag(getRequester(ctx), userId, roomId, tag);
    ctx.body = {};
  });
}
