import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { validateBody } from '../../http/validate.js';
import type { UploadKeysBody } from '../../users/e2e/index.js';
import { authenticate, getRequester } from '../requester.js';
import { clientPaths } from './paths.js';
import { claimKeysSchema, queryKeysSchema, uploadKeysSchema } from './schemas.js';

// POST /keys/upload, /keys/query and /keys/claim.

/** Remote key queries wait at most this long, whatever the client asks (the spec recommends 10 s). */
const MAX_REMOTE_TIMEOUT_MS = 10_000;

function timeoutOf(body: { timeout?: number }): number {
  return Math.max(0, Math.min(body.timeout ?? MAX_REMOTE_TIMEOUT_MS, MAX_REMOTE_TIMEOUT_MS));
}

export function registerKeysRoutes(router: Router, deps: HttpDeps): void {
  const e2e = () => deps.services.e2e;

  const upload = validateBody<UploadKeysBody>(uploadKeysSchema);
  router.post(clientPaths('/keys/upload'), authenticate(deps), upload, async (ctx) => {
    ctx.body = await e2e().uploadKeys(getRequester(ctx), upload.body(ctx));
  });

  const query = validateBody<{ device_keys: Record<string, string[]>; timeout?: number }>(queryKeysSchema);
  router.post(clientPaths('/keys/query'), authenticate(deps, { allowGuest: true }), query, async (ctx) => {
    const body = query.body(ctx);
    ctx.body = await e2e().queryKeys(getRequester(ctx), body.device_keys, timeoutOf(body));
  });

  const claim = validateBody<{ one_time_keys: Record<string, Record<string, string>>; timeout?: number }>(claimKeysSchema);
  router.post(clientPaths('/keys/claim'), authenticate(deps, { allowGuest: true }), claim, async (ctx) => {
    const body = claim.body(ctx);
    ctx.body = await e2e().claimKeys(getRequester(ctx), body.one_time_keys, timeoutOf(body));
  });
}
