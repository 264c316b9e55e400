import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { validateBody } from '../../http/validate.js';
import type { PresenceState } from '../../storage/interfaces/index.js';
import { authenticate, getRequester } from '../requester.js';
import { clientPaths } from './paths.js';

// GET/PUT /presence/{userId}/status.

export function registerPresenceRoutes(router: Router, deps: HttpDeps): void {
  const auth = authenticate(deps, { allowGuest: true });
  router.get(clientPaths('/presence/:userId/status'), auth, async (ctx) => {
    const { userId } = ctx.params as { userId: string };
    ctx.body = await deps.services.sync.getPresence(getRequester(ctx), userId);
  });
  const statusBody = validateBody<{ presence: PresenceState; status_msg?: string | null }>({
    type: 'object',
    required: ['presence'],
    properties: {
      presence: { enum: ['online', 'offline', 'unavailable'] },
      status_msg: { type: ['string', 'null'] },
    },
  });
  router.put(clientPaths('/presence/:userId/status'), auth, statusBody, async (ctx) => {
    const { userId } = ctx.params as { userId: string };
    const body = statusBody.body(ctx);
    await deps.services.sync.setPresence(getRequester(ctx), userId, body.presence, body.status_msg ?? null);
    ctx.body = {};
  });
}
