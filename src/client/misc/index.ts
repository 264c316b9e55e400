import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { authenticate, getRequester } from '../requester.js';
import { v3Paths } from '../rooms/read/params.js';
import { turnCredentials, type TurnSettings } from './turn.js';
import { registerAccountModerationRoutes } from './account-moderation.js';

// Small modules: GET /v3/voip/turnServer and the spec's account moderation (suspend / lock) endpoints.
export function registerMiscRoutes(router: Router, deps: HttpDeps): void {
  const now = deps.now ?? Date.now;
  // The TURN fields are optional members of the config (Synapse's turn_* options); absent means no TURN server.
  const turn: TurnSettings = deps.config;

  router.get(v3Paths('/voip/turnServer'), authenticate(deps, { allowGuest: true }), async (ctx) => {
    const requester = getRequester(ctx);
    // Synapse answers an empty object when TURN is not configured or not offered to guests.
    const creds = requester.isGuest && turn.turnAllowGuests === false ? null : turnCredentials(turn, requester.userId, now());
    ctx.body = creds ?? {};
  });

  registerAccountModerationRoutes(router, deps);
}
