import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { validateBody } from '../../http/validate.js';
import type { JsonObject } from '../../types/json.js';
import { authenticate, getRequester } from '../requester.js';
import { clientPaths } from './paths.js';
import { sendToDeviceSchema } from './schemas.js';

// PUT /sendToDevice/{eventType}/{txnId}: idempotent per (user, device, txnId); answers {} once queued.

export function registerToDeviceRoutes(router: Router, deps: HttpDeps): void {
  const send = validateBody<{ messages: Record<string, Record<string, JsonObject>> }>(sendToDeviceSchema);
  router.put(clientPaths('/sendToDevice/:eventType/:txnId'), authenticate(deps, { allowGuest: true }), send, async (ctx) => {
    const { eventType, txnId } = ctx.params as { eventType: string; txnId: string };
    await deps.services.e2e.sendToDevice(getRequester(ctx), eventType, txnId, send.body(ctx).messages);
    ctx.body = {};
  });
}
