import type { Router } from '@koa/router';

/**
 * Spec versions we advertise. A version goes in only when every feature that version requires of a
 * homeserver works here end to end; the list grows as features land, and nothing else decides it.
 * v1.1-v1.16: accounts, rooms v1-v12, sync (incl. use_state_after), E2EE, key backup, relations and
 * threads (recurse), authenticated media, push, appservices, reports, room summaries, custom profile fields.
 * v1.17: appservice device management without login (MSC4190) works (test/appservice/device-management.test.ts);
 * v1.17 is not advertised until its other changes are checked.
 */
export const SUPPORTED_SPEC_VERSIONS: readonly string[] = Array.from({ length: 16 }, (_, i) => `v1.${i + 1}`);

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
