import type { Router } from '@koa/router';
import type { Config } from '../config/types.js';

/**
 * The client discovery document: the operator's configured content, with m.homeserver filled in from
 * public_baseurl unless the operator set it themselves.
 */
export function clientWellKnown(config: Pick<Config, 'publicBaseUrl' | 'clientWellKnown'>): Record<string, unknown> {
  return { 'm.homeserver': { base_url: config.publicBaseUrl }, ...(config.clientWellKnown ?? {}) };
}

/** GET /.well-known/matrix/client, registered on an unprefixed router. */
export function registerClientWellKnownRoute(router: Router, config: Config): void {
  router.get('/.well-known/matrix/client', (ctx) => {
    ctx.body = clientWellKnown(config);
  });
}
