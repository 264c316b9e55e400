import type { Router } from '@koa/router';
import { invalidParam, notFound } from '../errors/index.js';
import type { HttpDeps } from '../http/deps.js';
import { validateBody } from '../http/validate.js';
import type { UserId } from '../types/ids.js';
import { authenticate } from '../client/requester.js';
import { requireAdmin } from './require-admin.js';

// Synapse's PUT /_synapse/admin/v1/suspend/{user_id} (MSC3823): a suspended user can still read, but the
// client API refuses their sends with M_USER_SUSPENDED.
export function registerUserSuspensionRoutes(router: Router, deps: HttpDeps): void {
  const body = validateBody<{ suspend: boolean }>({
    type: 'object',
    properties: { suspend: { type: 'boolean' } },
    required: ['suspend'],
  });
  router.put('/v1/suspend/:userId', authenticate(deps), requireAdmin(deps), body, async (ctx) => {
    const userId = ctx.params.userId ?? '';
    if (!userId.endsWith(`:${deps.config.serverName}`)) throw invalidParam('Only local users can be suspended.');
    const suspend = body.body(ctx).suspend;
    if (!(await deps.services.moderation.setSuspended(userId as UserId, suspend))) throw notFound('User not found');
    ctx.body = { [`user_${userId}_suspended`]: suspend };
  });
}
