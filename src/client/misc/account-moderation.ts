import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { validateBody } from '../../http/validate.js';
import type { AccountFlag } from '../../moderation/index.js';
import { authenticate, getRequester } from '../requester.js';
import { pathParam } from '../rooms/read/params.js';

// GET/PUT /_matrix/client/v1/admin/suspend/{userId} and /admin/lock/{userId} (spec v1.18 "Server administration").
export function registerAccountModerationRoutes(router: Router, deps: HttpDeps): void {
  const kinds: Array<{ path: string; field: 'suspended' | 'locked'; flag: AccountFlag }> = [
    { path: '/v1/admin/suspend/:userId', field: 'suspended', flag: 'suspended' },
    { path: '/v1/admin/lock/:userId', field: 'locked', flag: 'locked' },
  ];
  for (const k of kinds) {
    router.get(k.path, authenticate(deps), async (ctx) => {
      const value = await deps.services.moderation.getAccountFlag(getRequester(ctx).userId, pathParam(ctx, 'userId'), k.flag);
      ctx.body = { [k.field]: value };
    });
    const body = validateBody<Record<string, boolean>>({
      type: 'object',
      properties: { [k.field]: { type: 'boolean' } },
      required: [k.field],
    });
    router.put(k.path, authenticate(deps), body, async (ctx) => {
      const wanted = body.body(ctx)[k.field] === true;
      const value = await deps.services.moderation.setAccountFlag(getRequester(ctx).userId, pathParam(ctx, 'userId'), k.flag, wanted);
      ctx.body = { [k.field]: value };
    });
  }
}
