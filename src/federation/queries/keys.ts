import type { Router } from '@koa/router';
import { invalidParam } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { validateBody } from '../../http/validate.js';
import { serverNameOf } from '../../protocol/index.js';
import type { JsonObject } from '../../types/json.js';
import type { Requester } from '../../types/requester.js';
import { getOrigin, requireServerAuth } from '../inbound/auth.js';

// Remote servers fetching our users' E2EE keys: GET /v1/user/devices/{userId}, POST /v1/user/keys/query and
// POST /v1/user/keys/claim. Only local users are answered; names of other servers' users are ignored, so a
// remote request never fans out from here.

const queryBodySchema = {
  type: 'object',
  required: ['device_keys'],
  properties: {
    device_keys: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
  },
} as const;

const claimBodySchema = {
  type: 'object',
  required: ['one_time_keys'],
  properties: {
    one_time_keys: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'string' } } },
  },
} as const;

interface QueryBody {
  device_keys: Record<string, string[]>;
}
interface ClaimBody {
  one_time_keys: Record<string, Record<string, string>>;
}

/**
 * The key service takes a Requester to decide which signatures and user-signing keys are visible. A remote
 * server is nobody's own account: this id belongs to no user, so it sees exactly what any other user sees.
 */
function serverRequester(origin: string): Requester {
  return { userId: `@:${origin}`, deviceId: null, accessTokenId: null, isGuest: false, appserviceId: null };
}

export function registerKeyQueries(router: Router, deps: HttpDeps): void {
  const serverName = deps.config.serverName;
  const isLocal = (userId: string) => serverNameOf(userId) === serverName;

  router.get('/v1/user/devices/:userId', requireServerAuth(deps), async (ctx) => {
    const userId = ctx.params.userId ?? '';
    if (!isLocal(userId)) throw invalidParam('User is not hosted on this homeserver');
    const { e2e, users } = deps.services;
    // The position is read before the keys, so a change racing this request shows up as a later update.
    const { deviceLists } = await e2e.currentPositions();
    const keys = await e2e.queryKeys(serverRequester(getOrigin(ctx)), { [userId]: [] }, 10_000);
    const deviceKeys = keys.device_keys[userId] ?? {};
    const devices = (await users.listDevices(userId)).map((d) => {
      const entry: JsonObject = { device_id: d.device_id };
      const k = deviceKeys[d.device_id];
      if (k !== undefined) {
        const { unsigned: _unsigned, ...bare } = k;
        entry.keys = bare;
      }
      if (typeof d.display_name === 'string') entry.device_display_name = d.display_name;
      return entry;
    });
    const body: JsonObject = { user_id: userId, stream_id: deviceLists, devices };
    const master = keys.master_keys[userId];
    if (master !== undefined) body.master_key = master;
    const selfSigning = keys.self_signing_keys[userId];
    if (selfSigning !== undefined) body.self_signing_key = selfSigning;
    ctx.body = body;
  });

  const validateQuery = validateBody<QueryBody>(queryBodySchema);
  router.post('/v1/user/keys/query', requireServerAuth(deps), validateQuery, async (ctx) => {
    const wanted = Object.fromEntries(Object.entries(validateQuery.body(ctx).device_keys).filter(([u]) => isLocal(u)));
    const result = await deps.services.e2e.queryKeys(serverRequester(getOrigin(ctx)), wanted, 10_000);
    ctx.body = { device_keys: result.device_keys, master_keys: result.master_keys, self_signing_keys: result.self_signing_keys };
  });

  const validateClaim = validateBody<ClaimBody>(claimBodySchema);
  router.post('/v1/user/keys/claim', requireServerAuth(deps), validateClaim, async (ctx) => {
    const wanted = Object.fromEntries(Object.entries(validateClaim.body(ctx).one_time_keys).filter(([u]) => isLocal(u)));
    const result = await deps.services.e2e.claimKeys(serverRequester(getOrigin(ctx)), wanted, 10_000);
    ctx.body = { one_time_keys: result.one_time_keys };
  });
}
