import type { Router } from '@koa/router';
import { MatrixError, missingToken } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { queryString } from '../../http/validate.js';

// GET /_matrix/federation/v1/openid/userinfo: a third party (integration manager, widget host) exchanges an
// OpenID token our user got from /openid/request_token for the user's id. Not signed with X-Matrix: the
// caller is usually not a homeserver; the token itself is the credential.

export function registerOpenIdQuery(router: Router, deps: HttpDeps): void {
  router.get('/v1/openid/userinfo', async (ctx) => {
    const token = queryString(ctx.query, 'access_token');
    if (token === undefined || token === '') throw missingToken('Missing access_token');
    const userId = await deps.services.openid.userForToken(token);
    // No soft_logout here: the caller is not the token's client and cannot log back in.
    if (userId === undefined) throw new MatrixError('M_UNKNOWN_TOKEN', 401, 'Access token unknown or expired');
    ctx.body = { sub: userId };
  });
}
