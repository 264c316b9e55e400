import type { Router } from '@koa/router';

/**
 * Spec versions we advertise. A version goes in only when every feature that version requires of a
 * homeserver works here end to end; the list grows as features land, and nothing else decides it.
 * Today no release's required set is complete, so the honest list is empty.
 */
export const SUPPORTED_SPEC_VERSIONS: readonly string[] = [];

/** Namespaced experimental features (MSCs) we implement; empty until one is. */
export const UNSTABLE_FEATURES: Readonly<Record<string, boolean>> = {};

export function versionsResponse(): { versions: string[]; unstable_features: Record<string, boolean> } {
  return { versions: [...SUPPORTED_SPEC_VERSIONS], unstable_features: { ...UNSTABLE_FEATURES } };
}

/** GET /_matrix/client/versions: no authentication (the router is mounted at /_matrix/client). */
export function registerVersionsRoute(router: Router): void {
  router.get('/versions', (ctx) => {
    ctx.body = versionsResponse();
  });
}
