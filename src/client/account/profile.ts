import type { Router } from '@koa/router';
import { missingParam } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { readJsonObject } from '../../http/json-body.js';
import { authenticate, getRequester } from '../requester.js';

// Profiles (spec: profile.yaml). Reads are public, like Synapse's default (require_auth_for_profile_requests: false).

export function registerProfileRoutes(router: Router, deps: HttpDeps): void {
  // Services are read when a request arrives, not while routes are defined (shell tests build routers without them).

  /** An unknown user in an application service's namespace: the service may create it on demand (GET /_matrix/app/v1/users). */
  const askAppservices = async (userId: string): Promise<void> => {
    const appservices = deps.services.appservices;
    if (appservices.registry.servicesForUser(userId).length === 0) return;
    if ((await deps.services.users.getUser(userId)) === null) await appservices.queryUser(userId);
  };

  router.get('/v3/profile/:userId', async (ctx) => {
    await askAppservices(ctx.params.userId ?? '');
    ctx.body = await deps.services.users.getFullProfile(ctx.params.userId ?? '');
  });

  router.get('/v3/profile/:userId/:keyName', async (ctx) => {
    await askAppservices(ctx.params.userId ?? '');
    ctx.body = await deps.services.users.getProfileField(ctx.params.userId ?? '', ctx.params.keyName ?? '');
  });

  router.put('/v3/profile/:userId/:keyName', authenticate(deps, { allowGuest: true }), async (ctx) => {
    const body = await readJsonObject(ctx);
    const key = ctx.params.keyName ?? '';
    if (!Object.hasOwn(body, key)) throw missingParam(`Missing the ${key} property`);
    await deps.services.users.setProfileField(getRequester(ctx), ctx.params.userId ?? '', key, body[key]);
    ctx.body = {};
  });

  router.delete('/v3/profile/:userId/:keyName', authenticate(deps, { allowGuest: true }), async (ctx) => {
    await deps.services.users.deleteProfileField(getRequester(ctx), ctx.params.userId ?? '', ctx.params.keyName ?? '');
    ctx.body = {};
  });
}
