import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { queryString } from '../../http/validate.js';
import { missingParam } from '../../errors/index.js';
import { parseSyncToken } from '../../sync/index.js';
import { E2E_SYNC_EXTENSION_NAMES, type DeviceListPositions } from '../../users/e2e/index.js';
import { authenticate, getRequester } from '../requester.js';
import { clientPaths } from './paths.js';

// GET /keys/changes?from=&to=: users whose device lists changed between two /sync tokens.

/**
 * The positions /keys/changes needs from a sync token. The e2e sections are the first extensions
 * registered with /sync (src/main.ts), so their positions follow the five core streams in that order.
 */
function positionsOf(token: string): DeviceListPositions {
  const p = parseSyncToken(token, E2E_SYNC_EXTENSION_NAMES);
  return { events: p.events, deviceLists: p.extra.device_lists ?? 0 };
}

export function registerKeyChangesRoute(router: Router, deps: HttpDeps): void {
  router.get(clientPaths('/keys/changes'), authenticate(deps, { allowGuest: true }), async (ctx) => {
    const from = queryString(ctx.query, 'from');
    const to = queryString(ctx.query, 'to');
    if (from === undefined || from === '') throw missingParam('Missing query parameter: from');
    if (to === undefined || to === '') throw missingParam('Missing query parameter: to');
    ctx.body = await deps.services.e2e.deviceListChanges(getRequester(ctx).userId, positionsOf(from), positionsOf(to));
  });
}
