import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { invalidParam } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { queryBool, queryInt, queryString } from '../../http/validate.js';
import type { PresenceState } from '../../storage/interfaces/index.js';
import { authenticate, getRequester } from '../requester.js';
import { clientPaths } from './paths.js';

// GET /sync. The long-poll is tied to the connection: when the client goes away, the wait is released at
// once instead of holding a timer and notifier entry until the timeout.

const PRESENCE_VALUES: ReadonlySet<string> = new Set(['online', 'offline', 'unavailable']);

function disconnectSignal(ctx: Context): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onClose = () => {
    if (!ctx.res.writableEnded) controller.abort();
  };
  ctx.res.once('close', onClose);
  return { signal: controller.signal, release: () => ctx.res.off('close', onClose) };
}

export function registerSyncRoute(router: Router, deps: HttpDeps): void {
  const auth = authenticate(deps, { allowGuest: true });
  router.get(clientPaths('/sync'), auth, async (ctx) => {
    const q = ctx.query;
    const setPresence = queryString(q, 'set_presence') ?? 'online';
    if (!PRESENCE_VALUES.has(setPresence)) throw invalidParam('set_presence must be online, offline or unavailable');
    const since = queryString(q, 'since');
    // matrix-js-sdk still sends MSC4222's unstable parameter and reads the unstable field name.
    const stableStateAfter = queryBool(q, 'use_state_after', false);
    const unstableStateAfter = queryBool(q, 'org.matrix.msc4222.use_state_after', false);
    const { signal, release } = disconnectSignal(ctx);
    try {
      ctx.body = await deps.services.sync.sync(
        getRequester(ctx),
        {
          since: since === '' ? undefined : since,
          timeoutMs: queryInt(q, 'timeout', { min: 0, default: 0 }),
          fullState: queryBool(q, 'full_state', false),
          setPresence: setPresence as PresenceState,
          filter: queryString(q, 'filter'),
          useStateAfter: stableStateAfter || unstableStateAfter,
          unstableStateAfter: !stableStateAfter && unstableStateAfter,
        },
        signal,
      );
    } finally {
      release();
    }
  });
}
