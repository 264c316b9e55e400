import type { Router } from '@koa/router';
import { forbidden, invalidParam, notFound } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { readJsonObject } from '../../http/json-body.js';
import { authenticate, getRequester } from '../requester.js';

// Client-Server endpoints for application services: ping (v1.7), network room lists
// (PUT /directory/list/appservice/{networkId}/{roomId}) and the third-party lookups answered from the
// services' protocols.

function stringQuery(query: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) {
    if (k === 'access_token') continue;
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof value === 'string') out[k] = value;
  }
  return out;
}

export function registerAppserviceRoutes(router: Router, deps: HttpDeps): void {
  router.post('/v1/appservice/:appserviceId/ping', authenticate(deps), async (ctx) => {
    const requester = getRequester(ctx);
    const asId = ctx.params.appserviceId ?? '';
    if (requester.appserviceId !== asId) throw forbidden("Provided access token is not the appservice's as_token");
    const body = await readJsonObject(ctx);
    const txn = body.transaction_id;
    if (txn !== undefined && typeof txn !== 'string') throw invalidParam('transaction_id must be a string');
    ctx.body = { duration_ms: await deps.services.appservices.ping(asId, txn) };
  });

  router.put('/v3/directory/list/appservice/:networkId/:roomId', authenticate(deps), async (ctx) => {
    const requester = getRequester(ctx);
    if (requester.appserviceId === null) throw forbidden('Only application services can publish to a network room list');
    const body = await readJsonObject(ctx);
    const visibility = body.visibility;
    if (visibility !== 'public' && visibility !== 'private') throw invalidParam('visibility must be "public" or "private"');
    const roomId = ctx.params.roomId ?? '';
    await deps.services.appservices.setRoomListed(requester.appserviceId, ctx.params.networkId ?? '', roomId, visibility === 'public');
    ctx.body = {};
  });

  router.get('/v3/thirdparty/protocols', authenticate(deps), async (ctx) => {
    ctx.body = await deps.services.appservices.thirdPartyProtocols();
  });

  router.get('/v3/thirdparty/protocol/:protocol', authenticate(deps), async (ctx) => {
    const p = await deps.services.appservices.thirdPartyProtocol(ctx.params.protocol ?? '');
    if (p === null) throw notFound('The protocol is unknown');
    ctx.body = p;
  });

  for (const kind of ['location', 'user'] as const) {
    router.get(`/v3/thirdparty/${kind}/:protocol`, authenticate(deps), async (ctx) => {
      const protocol = ctx.params.protocol ?? '';
      if (deps.services.appservices.registry.servicesForProtocol(protocol).length === 0) throw notFound('The protocol is unknown');
      ctx.body = await deps.services.appservices.thirdPartyLookup(kind, protocol, stringQuery(ctx.query));
    });
    router.get(`/v3/thirdparty/${kind}`, authenticate(deps), async (ctx) => {
      const q = stringQuery(ctx.query);
      const key = kind === 'location' ? 'alias' : 'userid';
      if (q[key] === undefined) throw invalidParam(`Missing ${key}`);
      ctx.body = await deps.services.appservices.thirdPartyLookup(kind, null, { [key]: q[key] });
    });
  }
}
