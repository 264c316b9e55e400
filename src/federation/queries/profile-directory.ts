import type { Router } from '@koa/router';
import { invalidParam, missingParam, notFound } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { queryString } from '../../http/validate.js';
import { parseRoomAlias, serverNameOf } from '../../protocol/index.js';
import { requireServerAuth } from '../inbound/auth.js';

// GET /_matrix/federation/v1/query/profile and /query/directory: other servers asking about our users'
// profiles and our room aliases. Only local users and aliases are answered, so a query can never make us
// ask a third server (and never loops back through federation).

export function registerProfileDirectoryQueries(router: Router, deps: HttpDeps): void {
  const serverName = deps.config.serverName;

  router.get('/v1/query/profile', requireServerAuth(deps), async (ctx) => {
    const userId = queryString(ctx.query, 'user_id');
    if (userId === undefined) throw missingParam('Missing user_id');
    if (serverNameOf(userId) !== serverName) throw invalidParam('User is not hosted on this homeserver');
    const field = queryString(ctx.query, 'field');
    const users = deps.services.users;
    if (field === undefined) {
      ctx.body = await users.getFullProfile(userId);
      return;
    }
    // Existence is checked by getFullProfile first: an unknown user is a 404 whatever field was asked.
    await users.getFullProfile(userId);
    ctx.body = await users.getProfileField(userId, field);
  });

  router.get('/v1/query/directory', requireServerAuth(deps), async (ctx) => {
    const alias = queryString(ctx.query, 'room_alias');
    if (alias === undefined) throw missingParam('Missing room_alias');
    if (parseRoomAlias(alias) === null) throw invalidParam('Room alias invalid');
    if (serverNameOf(alias) !== serverName) throw notFound(`Room alias ${alias} not found`);
    ctx.body = await deps.services.roomReader.resolveAlias(alias);
  });
}
