import type { Router, RouterContext } from '@koa/router';
import { invalidParam } from '../../../errors/index.js';
import type { HttpDeps } from '../../../http/deps.js';
import { compileValidator } from '../../../http/validate.js';
import { readJsonObject } from '../../../http/json-body.js';
import type { SendOptions } from '../../../rooms/index.js';
import { messageRateLimit } from '../../message-rate.js';
import { authenticate, getRequester } from '../../requester.js';
import { clientPaths } from './paths.js';
import { reasonSchema } from './schemas.js';

// PUT /rooms/{roomId}/send/{eventType}/{txnId}, /state/{eventType}[/{stateKey}], /redact/{eventId}/{txnId}.
// Event content is any JSON object; the room writer checks size and canonical-JSON rules of the version.

/**
 * Timestamp massaging (AS API): an application service may set origin_server_ts with `?ts=`. Anyone else's
 * `ts` is ignored, as Synapse does; a value origin_server_ts cannot hold is refused.
 */
function massagedTs(ctx: RouterContext): number | undefined {
  if (getRequester(ctx).appserviceId === null) return undefined;
  const raw = ctx.query.ts;
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  const ts = value !== undefined && /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(ts)) throw invalidParam('ts must be a non-negative integer timestamp in milliseconds');
  return ts;
}

export function registerSendRoutes(router: Router, deps: HttpDeps): void {
  const rooms = () => deps.services.rooms;
  const checkReason = compileValidator<{ reason?: string }>(reasonSchema);
  const checkRate = messageRateLimit(deps);
  // rc_message is taken only when an event is created: a retried txn id or an identical state event is free.
  const sendOptions = (ctx: RouterContext): SendOptions => {
    const requester = getRequester(ctx);
    return { ts: massagedTs(ctx), beforeCreate: () => checkRate(requester) };
  };

  router.put(clientPaths('/rooms/:roomId/send/:eventType/:txnId'), authenticate(deps, { allowGuest: true }), async (ctx) => {
    const content = await readJsonObject(ctx);
    ctx.body = await rooms().sendMessageEvent(
      getRequester(ctx),
      String(ctx.params.roomId),
      String(ctx.params.eventType),
      content,
      String(ctx.params.txnId),
      sendOptions(ctx),
    );
  });

  const putState = (withKey: boolean) => async (ctx: RouterContext) => {
    const content = await readJsonObject(ctx);
    const stateKey = withKey ? String(ctx.params.stateKey ?? '') : '';
    ctx.body = await rooms().sendStateEvent(getRequester(ctx), String(ctx.params.roomId), String(ctx.params.eventType), stateKey, content, sendOptions(ctx));
  };
  router.put(clientPaths('/rooms/:roomId/state/:eventType'), authenticate(deps), putState(false));
  router.put(clientPaths('/rooms/:roomId/state/:eventType/'), authenticate(deps), putState(false));
  router.put(clientPaths('/rooms/:roomId/state/:eventType/:stateKey'), authenticate(deps), putState(true));

  router.put(clientPaths('/rooms/:roomId/redact/:eventId/:txnId'), authenticate(deps), async (ctx) => {
    const { reason } = checkReason(await readJsonObject(ctx, { allowEmpty: true }));
    const requester = getRequester(ctx);
    ctx.body = await rooms().redact(requester, String(ctx.params.roomId), String(ctx.params.eventId), reason, String(ctx.params.txnId), {
      beforeCreate: () => checkRate(requester),
    });
  });
}
