import type { Router } from '@koa/router';
import { STAGE_DUMMY, STAGE_REGISTRATION_TOKEN, MAX_PASSWORD_LENGTH } from '../../auth/index.js';
import { MatrixError, forbidden, invalidParam, missingParam } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { readJsonObject } from '../../http/json-body.js';
import type { RateLimiter } from '../../http/rate-limit.js';
import { queryString } from '../../http/validate.js';
import type { JsonObject } from '../../types/json.js';
import { accessTokenOf, resolveRequester } from '../requester.js';
import { clientAddress, optionalBool, optionalString } from './shared.js';

// POST /v3/register, GET /v3/register/available, GET /v1/register/m.login.registration_token/validity,
// and the 3PID requestToken endpoints (this server does not do 3PIDs).

function registrationFlows(deps: HttpDeps): Array<{ stages: string[] }> {
  return deps.config.registrationRequiresToken ? [{ stages: [STAGE_REGISTRATION_TOKEN, STAGE_DUMMY] }] : [{ stages: [STAGE_DUMMY] }];
}

function checkPassword(password: string | undefined): void {
  if (password !== undefined && password.length > MAX_PASSWORD_LENGTH) throw invalidParam('Invalid password');
}

/** Synapse lower-cases requested usernames. */
function desiredUsername(body: JsonObject): string | null {
  const v = optionalString(body, 'username');
  return v === undefined ? null : v.toLowerCase();
}

async function respondWithSession(deps: HttpDeps, userId: string, body: JsonObject): Promise<Record<string, unknown>> {
  const home_server = deps.config.serverName;
  if (optionalBool(body, 'inhibit_login', false)) return { user_id: userId, home_server };
  const session = await deps.services.users.startSession(userId, {
    deviceId: optionalString(body, 'device_id') ?? null,
    initialDisplayName: optionalString(body, 'initial_device_display_name') ?? null,
    refreshable: optionalBool(body, 'refresh_token', false),
  });
  return { ...session, home_server };
}

/** Names an application service holds exclusively are only registered by it (M_EXCLUSIVE, like Synapse). */
function assertNotExclusive(deps: HttpDeps, localpart: string): void {
  const owner = deps.services.appservices.registry.exclusiveOwnerOfUser(`@${localpart}:${deps.config.serverName}`);
  if (owner !== undefined) throw new MatrixError('M_EXCLUSIVE', 400, 'This user ID is reserved by an application service');
}

export function registerRegistrationRoutes(router: Router, deps: HttpDeps, limiter: RateLimiter): void {
  // Services are read when a request arrives, not while routes are defined (shell tests build routers without them).

  router.post('/v3/register', async (ctx) => {
    const body = await readJsonObject(ctx);
    const kind = queryString(ctx.query, 'kind') ?? 'user';
    if (kind !== 'user' && kind !== 'guest') throw invalidParam('Invalid kind: must be "user" or "guest"');

    // Application services register their users with their as_token and no UIA, even when registration is off.
    if (body.type === 'm.login.application_service') {
      const token = accessTokenOf(ctx, deps.config.allowQueryStringAccessTokens);
      if (token === null) throw new MatrixError('M_MISSING_TOKEN', 401, 'Missing access token');
      // The as_token alone identifies the service: ?user_id= names the user being registered, who cannot exist yet.
      const byToken = deps.services.appservices.registry.findByAsToken(token);
      const requester = byToken !== undefined ? { appserviceId: byToken.id } : await resolveRequester(deps, ctx, token);
      if (requester.appserviceId === null) throw forbidden('Only application services can use m.login.application_service');
      const localpart = desiredUsername(body);
      if (localpart === null) throw missingParam('Missing username');
      const entry = deps.services.appservices.registry.findById(requester.appserviceId);
      const wanted = `@${localpart}:${deps.config.serverName}`;
      if (entry !== undefined && wanted !== entry.senderUserId && !entry.isUserInNamespace(wanted)) {
        throw new MatrixError('M_EXCLUSIVE', 400, `${wanted} is not in the application service's namespace`);
      }
      if (entry?.reg.msc4190 === true && !optionalBool(body, 'inhibit_login', false)) {
        // MSC4190 services create devices with PUT /devices/{deviceId}; a login here would mint an unused token.
        throw new MatrixError('M_APPSERVICE_LOGIN_UNSUPPORTED', 400, 'This application service manages devices itself (MSC4190): set inhibit_login');
      }
      const userId = await deps.services.users.createAccount({ localpart, passwordHash: null, appserviceId: requester.appserviceId, trustedLocalpart: true });
      ctx.body = await respondWithSession(deps, userId, body);
      return;
    }

    // Only registrations that create an account count (Synapse does the same): the user-interactive round
    // trips before it must not use up the burst of a client registering normally.
    const address = clientAddress(ctx);
    limiter.assertAllowed('registration', address);

    if (kind === 'guest') {
      if (!deps.config.allowGuestAccess) throw new MatrixError('M_GUEST_ACCESS_FORBIDDEN', 403, 'Guest access is disabled');
      const userId = await deps.services.users.createAccount({ localpart: null, passwordHash: null, isGuest: true });
      limiter.take('registration', address);
      ctx.body = await respondWithSession(deps, userId, body);
      return;
    }

    if (!deps.config.enableRegistration) throw forbidden('Registration has been disabled');
    const password = optionalString(body, 'password');
    checkPassword(password);
    const { auth: authDict, password: _secret, ...params } = body;
    const first = authDict === undefined ? desiredUsername(body) : null;
    // Like Synapse, a taken or invalid username is reported before the client goes through UIA.
    if (first !== null) {
      assertNotExclusive(deps, first);
      await deps.services.users.checkUsernameAvailable(first);
    }

    const result = await deps.services.auth.checkUia({ operation: 'register', flows: registrationFlows(deps), auth: authDict, clientParams: params, userId: null });
    const merged: JsonObject = { ...(result.clientParams as JsonObject), ...(password !== undefined ? { password } : {}) };

    // A retry of a finished session (the client lost our answer) gets the same account rather than M_USER_IN_USE.
    let userId = typeof result.serverData.registered_user_id === 'string' ? result.serverData.registered_user_id : null;
    if (userId === null) {
      const finalName = desiredUsername(merged);
      if (finalName !== null) assertNotExclusive(deps, finalName);
      const passwordHash = password !== undefined ? await deps.services.auth.hashPassword(password) : null;
      userId = await deps.services.users.createAccount({ localpart: desiredUsername(merged), passwordHash });
      limiter.take('registration', address);
      await deps.services.auth.setUiaServerData(result.sessionId, { ...result.serverData, registered_user_id: userId });
      const token = result.serverData.registration_token;
      if (typeof token === 'string') await deps.services.auth.completeRegistrationToken(token);
    }
    ctx.body = await respondWithSession(deps, userId, merged);
  });

  router.get('/v3/register/available', async (ctx) => {
    limiter.check('registration', clientAddress(ctx));
    const username = queryString(ctx.query, 'username');
    if (username === undefined) throw missingParam('Missing username');
    assertNotExclusive(deps, username.toLowerCase());
    await deps.services.users.checkUsernameAvailable(username.toLowerCase());
    ctx.body = { available: true };
  });

  router.get('/v1/register/m.login.registration_token/validity', async (ctx) => {
    limiter.check('registration_token_validity', clientAddress(ctx));
    if (!deps.config.enableRegistration) throw forbidden('Registration has been disabled');
    const token = queryString(ctx.query, 'token');
    if (token === undefined) throw missingParam('Missing token');
    ctx.body = { valid: await deps.services.auth.registrationTokenValid(token) };
  });

  // This server keeps no third-party identifiers, so it cannot validate one by email or phone.
  for (const path of [
    '/v3/register/email/requestToken',
    '/v3/register/msisdn/requestToken',
    '/v3/account/password/email/requestToken',
    '/v3/account/password/msisdn/requestToken',
    '/v3/account/3pid/email/requestToken',
    '/v3/account/3pid/msisdn/requestToken',
  ]) {
    router.post(path, () => {
      throw new MatrixError('M_THREEPID_MEDIUM_NOT_SUPPORTED', 400, 'Third-party identifiers are not supported by this server');
    });
  }
}
