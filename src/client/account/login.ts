import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { namedUser } from '../../auth/index.js';
import { MatrixError, badJson, forbidden } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { readJsonObject } from '../../http/json-body.js';
import type { RateLimiter } from '../../http/rate-limit.js';
import type { JsonObject } from '../../types/json.js';
import { accessTokenOf, authenticate, getRequester } from '../requester.js';
import { clientAddress, optionalBool, optionalString, requiredString } from './shared.js';

// GET/POST /v3/login, POST /v3/refresh, POST /v3/logout, POST /v3/logout/all.

const PASSWORD = 'm.login.password';
const TOKEN = 'm.login.token';
const APPSERVICE = 'm.login.application_service';

export function registerLoginRoutes(router: Router, deps: HttpDeps, limiter: RateLimiter): void {
  // Services are read when a request arrives, not while routes are defined (shell tests build routers without them).
  const passwordEnabled = deps.config.passwordLoginEnabled !== false;

  router.get('/v3/login', (ctx) => {
    // m.login.application_service is listed like Synapse does; bridges probe for it before logging users in.
    ctx.body = { flows: [...(passwordEnabled ? [{ type: PASSWORD }] : []), { type: TOKEN }, { type: APPSERVICE }] };
  });

  /** The account a password login names, or 403 after counting a failed attempt. */
  const passwordLogin = async (body: JsonObject): Promise<string> => {
    const given = namedUser(body);
    const password = requiredString(body, 'password');
    const accountKey = given === null ? '' : given.toLowerCase();
    if (given !== null) limiter.check('login.account', accountKey);
    const user = given === null ? null : await deps.services.auth.findLocalUser(given);
    if (user?.deactivated) throw new MatrixError('M_USER_DEACTIVATED', 403, 'This account has been deactivated');
    if (user === null || !(await deps.services.auth.checkPassword(user, password))) {
      limiter.check('login.failed_attempts', accountKey);
      throw forbidden('Invalid username or password');
    }
    if (user.locked) throw new MatrixError('M_USER_LOCKED', 401, 'This account has been locked', { soft_logout: true });
    return user.userId;
  };

  /** An application service logs in one of its namespace users with its as_token (spec: m.login.application_service). */
  const appserviceLogin = async (ctx: Context, body: JsonObject): Promise<string> => {
    const token = accessTokenOf(ctx, deps.config.allowQueryStringAccessTokens);
    if (token === null) throw new MatrixError('M_MISSING_TOKEN', 401, 'Missing access token');
    const entry = deps.services.appservices.registry.findByAsToken(token);
    if (entry === undefined) throw new MatrixError('M_UNKNOWN_TOKEN', 401, 'Unrecognised application service token');
    // A service managing its devices itself (MSC4190, v1.17) must not mint access tokens for its users (Synapse refuses it too).
    if (entry.reg.msc4190) {
      throw new MatrixError('M_APPSERVICE_LOGIN_UNSUPPORTED', 400, 'This application service manages devices itself (MSC4190): appservice login is disabled');
    }
    const given = namedUser(body);
    if (given === null) throw badJson('Missing identifier');
    const userId = given.startsWith('@') ? given : `@${given.toLowerCase()}:${deps.config.serverName}`;
    if (userId !== entry.senderUserId && !entry.isUserInNamespace(userId)) {
      throw new MatrixError('M_EXCLUSIVE', 400, `${userId} is not in the application service's namespace`);
    }
    const user = await deps.services.users.getUser(userId);
    if (user === null) throw forbidden('Invalid username');
    if (user.deactivated) throw new MatrixError('M_USER_DEACTIVATED', 403, 'This account has been deactivated');
    return userId;
  };

  router.post('/v3/login', async (ctx) => {
    const body = await readJsonObject(ctx);
    limiter.check('login.address', clientAddress(ctx));
    const type = body.type;
    if (typeof type !== 'string') throw badJson('Missing or invalid login type');
    let userId: string;
    if (type === PASSWORD && passwordEnabled) {
      userId = await passwordLogin(body);
    } else if (type === TOKEN) {
      const consumed = await deps.services.auth.consumeLoginToken(requiredString(body, 'token'));
      if (consumed === null) throw forbidden('Invalid login token');
      const user = await deps.services.users.getUser(consumed.userId);
      if (user === null || user.deactivated) throw new MatrixError('M_USER_DEACTIVATED', 403, 'This account has been deactivated');
      userId = consumed.userId;
    } else if (type === APPSERVICE) {
      userId = await appserviceLogin(ctx, body);
    } else {
      throw new MatrixError('M_UNKNOWN', 400, `Unknown login type ${type}`);
    }
    const session = await deps.services.users.startSession(userId, {
      deviceId: optionalString(body, 'device_id') ?? null,
      initialDisplayName: optionalString(body, 'initial_device_display_name') ?? null,
      refreshable: optionalBool(body, 'refresh_token', false),
    });
    ctx.body = {
      ...session,
      home_server: deps.config.serverName,
      ...(deps.config.clientWellKnown !== null ? { well_known: deps.config.clientWellKnown } : {}),
    };
  });

  router.post('/v3/refresh', async (ctx) => {
    const body = await readJsonObject(ctx);
    const issued = await deps.services.auth.refresh(requiredString(body, 'refresh_token'));
    ctx.body = {
      access_token: issued.accessToken,
      ...(issued.refreshToken !== undefined ? { refresh_token: issued.refreshToken } : {}),
      ...(issued.expiresInMs !== undefined ? { expires_in_ms: issued.expiresInMs } : {}),
    };
  });

  router.post('/v3/logout', authenticate(deps, { allowGuest: true, allowExpired: true }), async (ctx) => {
    await deps.services.users.logout(getRequester(ctx));
    ctx.body = {};
  });

  router.post('/v3/logout/all', authenticate(deps, { allowGuest: true, allowExpired: true }), async (ctx) => {
    await deps.services.users.logoutAll(getRequester(ctx).userId);
    ctx.body = {};
  });
}
