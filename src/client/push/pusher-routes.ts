import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { queryInt, queryString, validateBody } from '../../http/validate.js';
import type { SetPusherBody } from '../../push/index.js';
import { authenticate, getRequester } from '../requester.js';
import { clientPaths } from '../sync/paths.js';

// GET /pushers, POST /pushers/set (spec data/api/client-server/pusher.yaml) and GET /notifications
// (notifications.yaml).

const setPusherSchema = {
  type: 'object',
  required: ['kind', 'app_id', 'pushkey'],
  properties: {
    pushkey: { type: 'string' },
    kind: { type: ['string', 'null'] },
    app_id: { type: 'string' },
    app_display_name: { type: 'string' },
    device_display_name: { type: 'string' },
    profile_tag: { type: 'string' },
    lang: { type: 'string' },
    data: { type: 'object', properties: { url: { type: 'string' }, format: { type: 'string' } } },
    append: { type: 'boolean' },
  },
};

export function registerPusherRoutes(router: Router, deps: HttpDeps): void {
  const auth = authenticate(deps);
  const svc = () => deps.services.push;
  const setBody = validateBody<SetPusherBody>(setPusherSchema);

  router.get(clientPaths('/pushers'), auth, async (ctx) => {
    ctx.body = await svc().getPushers(getRequester(ctx));
  });
  router.post(clientPaths('/pushers/set'), auth, setBody, async (ctx) => {
    await svc().setPusher(getRequester(ctx), setBody.body(ctx));
    ctx.body = {};
  });
  router.get(clientPaths('/notifications'), auth, async (ctx) => {
    const from = queryString(ctx.query, 'from');
    const only = queryString(ctx.query, 'only');
    const limit = queryInt(ctx.query, 'limit', { default: 50, min: 1, max: 1000 });
    ctx.body = await svc().getNotifications(getRequester(ctx), {
      limit,
      ...(from !== undefined ? { from } : {}),
      ...(only !== undefined ? { only } : {}),
    });
  });
}
