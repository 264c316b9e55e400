import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { requireAdmin } from '../../admin/require-admin.js';
import { notFound } from '../../errors/index.js';
import { authenticate } from '../requester.js';

// Operator view of application services (mounted under /_synapse/admin): per service its url, events position,
// queued transactions and events, last success, last error and backoff, so a stuck bridge is visible without SQL.

export function registerAppserviceAdminRoutes(router: Router, deps: HttpDeps): void {
  const guard = [authenticate(deps), requireAdmin(deps)];
  router.get('/v1/appservices', ...guard, async (ctx) => {
    ctx.body = { appservices: await deps.services.appservices.status() };
  });
  router.get('/v1/appservices/:appserviceId', ...guard, async (ctx) => {
    const s = (await deps.services.appservices.status()).find((x) => x.id === ctx.params.appserviceId);
    if (s === undefined) throw notFound('No such application service');
    ctx.body = s;
  });
}
