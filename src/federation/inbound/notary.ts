import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { invalidParam } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { queryInt, validateBody } from '../../http/validate.js';
import { isValidServerName } from '../../protocol/index.js';
import type { NotaryCriteria } from '../keys/index.js';
import { serverKeysDocument } from './key-server.js';

// The notary endpoints (keys_query.yaml): GET /_matrix/key/v2/query/{serverName} and the batched POST
// /_matrix/key/v2/query. Unauthenticated, as in Synapse: the answer is public and signed anyway.

/** One query may name this many servers; each may cost us an outbound fetch, so it is bounded. */
export const MAX_NOTARY_SERVERS = 100;

interface QueryBody {
  server_keys: Record<string, Record<string, { minimum_valid_until_ts?: number }>>;
}

const querySchema = {
  type: 'object',
  required: ['server_keys'],
  properties: {
    server_keys: {
      type: 'object',
      maxProperties: MAX_NOTARY_SERVERS,
      additionalProperties: {
        type: 'object',
        additionalProperties: {
          type: 'object',
          properties: { minimum_valid_until_ts: { type: 'integer' } },
        },
      },
    },
  },
};

async function answer(ctx: Context, deps: HttpDeps, criteria: NotaryCriteria[]): Promise<void> {
  const now = (deps.now ?? Date.now)();
  const serverKeys: unknown[] = [];
  if (criteria.some((c) => c.serverName === deps.config.serverName)) {
    serverKeys.push(serverKeysDocument(deps.config, deps.signingKeys, now));
  }
  serverKeys.push(...(await deps.services.federation.notary.query(criteria)));
  ctx.body = { server_keys: serverKeys };
}

/** Registered on the router mounted at /_matrix/key. */
export function registerNotaryRoutes(router: Router, deps: HttpDeps): void {
  const now = deps.now ?? Date.now;
  router.get('/v2/query/:serverName', async (ctx) => {
    const serverName = ctx.params.serverName ?? '';
    if (!isValidServerName(serverName)) throw invalidParam('serverName is not a valid server name');
    const minimum = queryInt(ctx.query, 'minimum_valid_until_ts', { min: 0 }) ?? now();
    await answer(ctx, deps, [{ serverName, keyIds: [], minimumValidUntilTs: minimum }]);
  });
  const body = validateBody<QueryBody>(querySchema);
  router.post('/v2/query', body, async (ctx) => {
    const criteria: NotaryCriteria[] = [];
    for (const [serverName, keys] of Object.entries(body.body(ctx).server_keys)) {
      // Unknown names are skipped like unreachable servers rather than failing the whole batch.
      if (!isValidServerName(serverName)) continue;
      const minimums = Object.values(keys).map((k) => k.minimum_valid_until_ts ?? now());
      criteria.push({ serverName, keyIds: Object.keys(keys), minimumValidUntilTs: minimums.length > 0 ? Math.max(...minimums) : now() });
    }
    await answer(ctx, deps, criteria);
  });
}
