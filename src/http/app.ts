import Koa from 'koa';
import type { Router } from '@koa/router';
import type { Middleware } from 'koa';
import { createAdminRouter } from '../admin/index.js';
import { createClientRouter, createClientWellKnownRouter } from '../client/index.js';
import { createAuthenticatedMediaRouter, createMediaRouter } from '../client/media/index.js';
import { MatrixError, unrecognized } from '../errors/index.js';
import { createFederationRouter, createKeyRouter } from '../federation/inbound/index.js';
import { cors } from './cors.js';
import type { HttpDeps } from './deps.js';
import { errorFunnel } from './error-funnel.js';
import { serializeJsonBodies } from './response-bodies.js';
import { requestContext } from './request-context.js';
import { createHealthRouter, createServerWellKnownRouter } from './shell-routes.js';

export type { HttpDeps } from './deps.js';

export interface HttpAppOptions {
  /** Trust X-Forwarded-* headers (the listener's x_forwarded). */
  trustProxy?: boolean;
  /** Routers mounted after the resource routers: surfaces not yet mapped to a resource name, and tests. */
  extraRouters?: readonly Router[];
}

/**
 * The routers a listener serves, from its resource names (homeserver.yaml `listeners[].resources`).
 * Unknown names are ignored here; the config loader is where a typo is reported.
 */
export function routersForResources(deps: HttpDeps, resources: readonly string[]): Router[] {
  const names = new Set(resources);
  const routers: Router[] = [createHealthRouter()];
  if (names.has('client')) {
    routers.push(createClientRouter(deps), createClientWellKnownRouter(deps), createAdminRouter(deps));
  }
  // Synapse: /_matrix/media on 'media' and 'client' resources, /_matrix/client/v1/media on 'client'.
  if (names.has('client')) routers.push(createAuthenticatedMediaRouter(deps));
  if (names.has('client') || names.has('media')) routers.push(createMediaRouter(deps));
  if (names.has('federation')) routers.push(createFederationRouter(deps));
  if (names.has('federation') || names.has('keys')) routers.push(createKeyRouter(deps));
  if ((names.has('client') || names.has('federation')) && deps.config.serveServerWellknown) {
    routers.push(createServerWellKnownRouter(deps.config));
  }
  return routers;
}

/** Last in the onion: nothing routed the request, so tell 405 (path known, method not) from 404. */
function unmatched(routers: readonly Router[]): Middleware {
  return (ctx) => {
    const allowed = new Set<string>();
    for (const router of routers) {
      for (const layer of router.match(ctx.path, ctx.method).path) {
        for (const m of layer.methods) allowed.add(m);
      }
    }
    if (allowed.size === 0) throw unrecognized('Unrecognized request');
    allowed.add('OPTIONS');
    throw new MatrixError('M_UNRECOGNIZED', 405, 'Unrecognized request: method not allowed', {}, {
      Allow: [...allowed].join(', '),
    });
  };
}

export function createHttpApp(deps: HttpDeps, resources: readonly string[], opts: HttpAppOptions = {}): Koa {
  const app = new Koa({ proxy: opts.trustProxy ?? false });
  serializeJsonBodies(app);
  // Errors that escape the funnel (e.g. a socket failing while a response is written) reach here;
  // without a listener koa would print them to stderr.
  app.on('error', (err: unknown) => deps.logger.error({ err }, 'error outside the request error funnel'));
  const routers = [...routersForResources(deps, resources), ...(opts.extraRouters ?? [])];
  app.use(requestContext(deps.logger, deps.config.maxRequestBodySize));
  app.use(cors());
  app.use(errorFunnel());
  for (const router of routers) app.use(router.routes());
  app.use(unmatched(routers));
  return app;
}
