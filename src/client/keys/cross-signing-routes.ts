import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { validateBody } from '../../http/validate.js';
import type { JsonObject } from '../../types/json.js';
import type { CrossSigningUploadBody } from '../../users/e2e/index.js';
import { authenticate, getRequester } from '../requester.js';
import { clientPaths } from './paths.js';
import { crossSigningUploadSchema, signaturesUploadSchema } from './schemas.js';

// POST /keys/device_signing/upload and /keys/signatures/upload.

export function registerCrossSigningRoutes(router: Router, deps: HttpDeps): void {
  const upload = validateBody<CrossSigningUploadBody & { auth?: JsonObject }>(crossSigningUploadSchema);
  router.post([...clientPaths('/keys/device_signing/upload'), '/unstable/keys/device_signing/upload'], authenticate(deps), upload, async (ctx) => {
    const requester = getRequester(ctx);
    const { auth, ...keys } = upload.body(ctx);
    let body: CrossSigningUploadBody = keys;
    const { e2e, auth: authService } = deps.services;
    // The first upload (and an identical re-upload) needs no UIA (v1.11); replacing keys does.
    if (await e2e.crossSigningUploadNeedsAuth(requester, body)) {
      const user = await authService.findLocalUser(requester.userId);
      const result = await authService.checkUia({
        operation: `device_signing_upload:${requester.userId}`,
        flows: authService.reauthFlows(user),
        auth,
        clientParams: keys,
        userId: requester.userId,
      });
      // A client may complete the stages with a body holding only `auth`: use the keys the session stored.
      if (Object.keys(keys).length === 0) body = result.clientParams as CrossSigningUploadBody;
    }
    await e2e.uploadCrossSigningKeys(requester, body);
    ctx.body = {};
  });

  const signatures = validateBody<Record<string, Record<string, JsonObject>>>(signaturesUploadSchema);
  router.post([...clientPaths('/keys/signatures/upload'), '/unstable/keys/signatures/upload'], authenticate(deps), signatures, async (ctx) => {
    ctx.body = await deps.services.e2e.uploadSignatures(getRequester(ctx), signatures.body(ctx));
  });
}
